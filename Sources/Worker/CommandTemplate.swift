package import TrialModel
import Foundation

/// The user's training command and how one trial's parameters go into it.
package struct CommandTemplate: Sendable {
    /// The command and its arguments, with `{name}` placeholders; run without a shell.
    package let arguments: [String]

    package init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// The arguments with every `{name}` of a parameter replaced by its value, and every `{name}`
    /// of an `inactive` conditional parameter by the empty string (the argument stays, empty).
    /// With a fidelity, `{max_steps}` becomes `maxSteps`. Braces that do not name a parameter are
    /// left as they are.
    package func arguments(for configuration: Configuration, inactive: [String] = [], maxSteps: Int? = nil) -> [String] {
        arguments.map { argument in
            guard argument.contains("{") else { return argument }
            var result = argument
            for (name, value) in configuration.values {
                result = result.replacingOccurrences(of: "{\(name)}", with: value.description)
            }
            for name in inactive where configuration[name] == nil {
                result = result.replacingOccurrences(of: "{\(name)}", with: "")
            }
            if let maxSteps { result = result.replacingOccurrences(of: "{max_steps}", with: String(maxSteps)) }
            return result
        }
    }

    /// The variables added to the worker's environment for one trial:
    /// `SEXTANT_TRIAL_ID`, `SEXTANT_PARAMS` (one JSON object) and `SEXTANT_PARAM_<NAME>` for each
    /// parameter the configuration has (an inactive conditional parameter has none); with a
    /// fidelity, `SEXTANT_MAX_STEPS`.
    package static func environment(trial: TrialID, configuration: Configuration, maxSteps: Int? = nil) -> [String: String] {
        var environment = ["SEXTANT_TRIAL_ID": String(trial.rawValue)]
        if let maxSteps { environment["SEXTANT_MAX_STEPS"] = String(maxSteps) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let json = try? encoder.encode(configuration) {
            environment["SEXTANT_PARAMS"] = String(decoding: json, as: UTF8.self)
        }
        for (name, value) in configuration.values {
            environment["SEXTANT_PARAM_\(name.uppercased())"] = value.description
        }
        return environment
    }
}
