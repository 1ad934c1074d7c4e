import Foundation

/// Text for configurations and values, shared by progress lines, tables and exports.
package enum TrialFormatting {
    /// `lr=0.01 bs=64`, in the order of the search space.
    package static func describe(_ configuration: Configuration, in space: SearchSpace) -> String {
        space.parameters.compactMap { parameter in
            configuration[parameter.name].map { "\(parameter.name)=\(format($0))" }
        }.joined(separator: " ")
    }

    /// `val_loss=0.31 train_seconds=42`: a trial's values of `names` (a missing one as `-`).
    package static func values(_ trial: Trial, names: [String], spec: StudySpec) -> String {
        names.map { name in "\(name)=" + (spec.value(name, of: trial).map(format) ?? "-") }.joined(separator: " ")
    }

    /// A value as a person reads it (floats with 6 significant digits).
    package static func format(_ value: ParameterValue) -> String {
        if case .double(let number) = value { return format(number) }
        return value.description
    }

    /// A number with at most 6 significant digits: `0.0123457`, `1.5e-05`.
    package static func format(_ number: Double) -> String {
        // snprintf rather than String(format:), which goes through Foundation's locale machinery.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            _ = withVaList([number]) { vsnprintf(buffer.baseAddress!, 32, "%.6g", $0) }
            return String(cString: buffer.baseAddress!)
        }
    }
}
