/// A value that does not fit a study's search space, said so that it reads after the field:
/// `x=5: must be between -2.0 and 2.0`.
package struct ParameterValueError: Error, CustomStringConvertible, Sendable, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}

// Checking values a person chose (initial configurations, `sextant enqueue`) against the space.

extension SearchSpace {
    /// The parameter called `name`, or an error that lists the study's parameters.
    package func parameter(named name: String) throws(ParameterValueError) -> Parameter {
        guard let parameter = parameters.first(where: { $0.name == name }) else {
            let names = parameters.map(\.name).joined(separator: ", ")
            throw ParameterValueError("unknown parameter; expected one of \(names)")
        }
        return parameter
    }

    /// `value` as parameter `name` stores it (an int given for a float becomes a float), or why it
    /// does not fit: an unknown parameter, a value of the wrong type or out of range.
    package func checked(_ value: ParameterValue, for name: String) throws(ParameterValueError) -> ParameterValue {
        let parameter = try parameter(named: name)
        switch parameter.domain {
        case .float(let low, let high, _):
            guard let number = value.numericValue else {
                throw ParameterValueError("must be a number, not '\(value)'")
            }
            guard number >= low && number <= high else {
                throw ParameterValueError("must be between \(low) and \(high), not \(value)")
            }
            return .double(number)
        case .int(let low, let high, _):
            guard case .int(let number) = value else { throw ParameterValueError("must be a whole number, not '\(value)'") }
            guard number >= low && number <= high else {
                throw ParameterValueError("must be between \(low) and \(high), not \(number)")
            }
            return value
        case .categorical(let values):
            guard values.contains(value) else {
                throw ParameterValueError("must be one of \(values.map(\.description).joined(separator: ", ")), not '\(value)'")
            }
            return value
        }
    }

    /// The value of parameter `name` written as `text` on a command line, read by the parameter's
    /// type (a categorical value is matched by how it is written), then checked.
    package func value(of name: String, parsing text: String) throws(ParameterValueError) -> ParameterValue {
        let parameter = try parameter(named: name)
        switch parameter.domain {
        case .float:
            guard let number = Double(text), number.isFinite else { throw ParameterValueError("must be a number, not '\(text)'") }
            return try checked(.double(number), for: name)
        case .int:
            guard let number = Int(text) else { throw ParameterValueError("must be a whole number, not '\(text)'") }
            return try checked(.int(number), for: name)
        case .categorical(let values):
            guard let value = values.first(where: { $0.description == text }) else {
                throw ParameterValueError("must be one of \(values.map(\.description).joined(separator: ", ")), not '\(text)'")
            }
            return value
        }
    }

    /// In a conditional space, a chosen value of a conditional parameter needs its parents chosen
    /// too, with values that make it active: `momentum=0.9` with `optimizer=adam` is an error.
    /// Returns the first offending parameter's name and why.
    package func conditionProblem(in partial: Configuration) -> (name: String, problem: String)? {
        for parameter in parameters {
            guard partial[parameter.name] != nil, let condition = parameter.condition else { continue }
            for parent in condition.parents {
                guard let value = partial[parent.name] else {
                    return (parameter.name, "is conditional on \(parent.name); give \(parent.name) too (one of \(parent.values.map(\.description).joined(separator: ", ")))")
                }
                guard parent.values.contains(value) else {
                    return (parameter.name, "is inactive when \(parent.name) is \(value) (active for \(parent.values.map(\.description).joined(separator: ", ")))")
                }
            }
        }
        return nil
    }

    /// `partial` with every missing active value taken from `filler` (a sampler's suggestion), or
    /// the middle of its range where the filler is on another branch of a conditional space; values
    /// whose conditions do not hold are left out.
    package func completing(_ partial: Configuration, with filler: Configuration) -> Configuration {
        var values: [String: ParameterValue] = [:]
        for index in evaluationOrder {
            let parameter = parameters[index]
            guard Self.holds(parameter.condition, in: values) else { continue }
            values[parameter.name] = partial[parameter.name] ?? filler[parameter.name] ?? parameter.decode(0.5)
        }
        return Configuration(values)
    }

    /// Whether `configuration` gives a value to every parameter that is active in it.
    package func isComplete(_ configuration: Configuration) -> Bool {
        pruned(configuration) == configuration
            && parameters.allSatisfy { !Self.holds($0.condition, in: configuration.values) || configuration[$0.name] != nil }
    }
}
