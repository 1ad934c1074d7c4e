/// JSON for configurations without the generic encoder, for the messages and rows written
/// once per trial: keys sorted and values spelled as `JSONEncoder` with sorted keys writes
/// them (an integral double without ".0"), so either side can read what the other wrote.
package enum JSONText {
    /// `{"a":1,"b":"x"}`, keys sorted.
    package static func object(_ configuration: Configuration) -> String {
        var text = ""
        write(configuration, into: &text)
        return text
    }

    /// `{"a":0.5,"b":2}`, keys sorted; every value finite.
    package static func object(_ values: [String: Double]) -> String {
        var text = "{"
        for (index, (name, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { text += "," }
            string(name, into: &text)
            text += ":" + number(value)
        }
        return text + "}"
    }

    package static func write(_ configuration: Configuration, into text: inout String) {
        text += "{"
        var first = true
        for (name, value) in configuration.values.sorted(by: { $0.key < $1.key }) {
            if !first { text += "," }
            first = false
            string(name, into: &text)
            text += ":"
            switch value {
            case .double(let number): text += Self.number(number)
            case .int(let number): text += String(number)
            case .string(let word): string(word, into: &text)
            case .bool(let flag): text += flag ? "true" : "false"
            }
        }
        text += "}"
    }

    /// A finite double: Swift's shortest round-trip spelling, an integral value without ".0".
    package static func number(_ value: Double) -> String {
        precondition(value.isFinite, "JSON has no \(value)")
        let text = "\(value)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// A quoted string with `"`, `\` and control characters escaped.
    package static func string(_ value: String, into text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
