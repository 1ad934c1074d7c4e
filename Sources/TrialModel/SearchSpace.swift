/// The ordered hyperparameters of a study.
public struct SearchSpace: Sendable, Hashable, Codable {
    /// Parameters in the order the study file lists them.
    public let parameters: [Parameter]

    public init(_ parameters: [Parameter]) {
        self.parameters = parameters
    }

    /// Number of parameters, the dimension of the unit cube.
    public var dimension: Int { parameters.count }

    /// The point of `[0,1]^d` for a configuration (missing values encode as 0.5).
    public func encode(_ configuration: Configuration) -> [Double] {
        parameters.map { parameter in
            configuration[parameter.name].map(parameter.encode) ?? 0.5
        }
    }

    /// The configuration a point of `[0,1]^d` stands for.
    public func decode(_ point: [Double]) -> Configuration {
        precondition(point.count == parameters.count, "point has \(point.count) coordinates, space has \(parameters.count)")
        var values: [String: ParameterValue] = [:]
        for (parameter, u) in zip(parameters, point) {
            values[parameter.name] = parameter.decode(u)
        }
        return Configuration(values)
    }
}

/// One assignment of values to a study's parameters.
public struct Configuration: Sendable, Hashable, Codable {
    /// Values by parameter name.
    public var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue]) {
        self.values = values
    }

    public subscript(name: String) -> ParameterValue? { values[name] }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ParameterValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
