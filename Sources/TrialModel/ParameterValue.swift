import Foundation

/// One hyperparameter value as the training command sees it.
package enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case double(Double)
    case int(Int)
    case string(String)
    case bool(Bool)

    /// The text substituted for `{name}` in a command line.
    package var description: String {
        switch self {
        case .double(let value): Self.commandLineText(value)
        case .int(let value): String(value)
        case .string(let value): value
        case .bool(let value): value ? "true" : "false"
        }
    }

    /// Swift's shortest round-tripping text, except that negative numbers are never written
    /// with an exponent (`-0.00001`, not `-1e-05`): argument parsers such as Python's argparse
    /// take `-1e-05` for an option.
    static func commandLineText(_ value: Double) -> String {
        let text = "\(value)"
        guard value < 0, text.contains("e") else { return text }
        let exponent = Int(Foundation.floor(Foundation.log10(-value)))
        var plain = String(format: "%.\(min(max(0, 14 - exponent), 340))f", value)
        while plain.hasSuffix("0") { plain.removeLast() }
        if plain.hasSuffix(".") { plain.removeLast() }
        return plain
    }

    /// The value as a number, when it is one.
    package var numericValue: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        case .string, .bool: nil
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .double(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}
