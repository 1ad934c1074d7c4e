/// The domain of one hyperparameter.
package enum ParameterDomain: Sendable, Hashable, Codable {
    /// A real number in `[low, high]`, searched uniformly or on a log scale.
    case float(low: Double, high: Double, log: Bool)
    /// An integer in `[low, high]`, searched uniformly or on a log scale.
    case int(low: Int, high: Int, log: Bool)
    /// One of a fixed list of values.
    case categorical([ParameterValue])
}

/// A named hyperparameter of a study.
package struct Parameter: Sendable, Hashable, Codable {
    /// The name used in `{name}` placeholders and `SEXTANT_PARAM_<NAME>`.
    package let name: String
    package let domain: ParameterDomain

    package init(name: String, domain: ParameterDomain) {
        self.name = name
        self.domain = domain
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
