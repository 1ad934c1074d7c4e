/// The domain of one hyperparameter.
package enum ParameterDomain: Sendable, Hashable, Codable {
    /// A real number in `[low, high]`, searched uniformly or on a log scale.
    case float(low: Double, high: Double, log: Bool)
    /// An integer in `[low, high]`, searched uniformly or on a log scale.
    case int(low: Int, high: Int, log: Bool)
    /// One of a fixed list of values.
    case categorical([ParameterValue])
}

/// When a conditional parameter is active: each named parent is itself active and has one of
/// the listed values (`when: {optimizer: [sgd], layers: [2, 3]}` needs both).
package struct ParameterCondition: Sendable, Hashable, Codable {
    /// Parent name → the values that make the parameter active, in the study file's order.
    package let parents: [Parent]

    package struct Parent: Sendable, Hashable, Codable {
        package let name: String
        package let values: [ParameterValue]
        package init(name: String, values: [ParameterValue]) {
            self.name = name
            self.values = values
        }
    }

    package init(_ parents: [Parent]) {
        self.parents = parents
    }
}

/// A named hyperparameter of a study.
package struct Parameter: Sendable, Hashable, Codable {
    /// The name used in `{name}` placeholders and `SEXTANT_PARAM_<NAME>`.
    package let name: String
    package let domain: ParameterDomain
    /// Set for a conditional parameter: it exists in a configuration only when this holds.
    package let condition: ParameterCondition?

    package init(name: String, domain: ParameterDomain, condition: ParameterCondition? = nil) {
        self.name = name
        self.domain = domain
        self.condition = condition
    }

    /// Whether `value` lies in this parameter's domain.
    package func contains(_ value: ParameterValue) -> Bool {
        switch (domain, value) {
        case (.float(let low, let high, _), _):
            guard let number = value.numericValue else { return false }
            return number >= low && number <= high
        case (.int(let low, let high, _), .int(let number)):
            return number >= low && number <= high
        case (.int, _):
            return false
        case (.categorical(let values), _):
            return values.contains(value)
        }
    }
}
