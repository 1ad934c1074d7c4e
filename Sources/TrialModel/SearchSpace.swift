/// The ordered hyperparameters of a study.
package struct SearchSpace: Sendable, Hashable, Codable {
    /// Parameters in the order the study file lists them.
    package let parameters: [Parameter]

    package init(_ parameters: [Parameter]) {
        self.parameters = parameters
    }

    /// Number of parameters, the dimension of the unit cube.
    package var dimension: Int { parameters.count }

    /// The point of `[0,1]^d` for a configuration (missing values encode as 0.5).
    package func encode(_ configuration: Configuration) -> [Double] {
        parameters.map { parameter in
            configuration[parameter.name].map(parameter.encode) ?? 0.5
        }
    }

    /// The configuration a point of `[0,1]^d` stands for.
    package func decode(_ point: [Double]) -> Configuration {
        precondition(point.count == parameters.count, "point has \(point.count) coordinates, space has \(parameters.count)")
        var values: [String: ParameterValue] = [:]
        for (parameter, u) in zip(parameters, point) {
            values[parameter.name] = parameter.decode(u)
        }
        return Configuration(values)
    }
}

/// One assignment of values to a study's parameters.
package struct Configuration: Sendable, Hashable, Codable {
    /// Values by parameter name.
    package var values: [String: ParameterValue]

    package init(_ values: [String: ParameterValue]) {
        self.values = values
    }

    package subscript(name: String) -> ParameterValue? { values[name] }

    package init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ParameterValue].self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
