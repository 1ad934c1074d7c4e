package import Foundation
import TrialModel

/// One protocol message: its type and body.
package enum Message: Sendable, Hashable {
    case hello(Hello)
    case welcome(Welcome)
    case trial(TrialAssignment)
    case report(Report)
    case decision(Decision)
    case result(TrialResult)
    case ack(Ack)
    case heartbeat(Heartbeat)
    case bye(Bye)

    /// The type frame, e.g. `HELLO`.
    package var type: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .trial: "TRIAL"
        case .report: "REPORT"
        case .decision: "DECISION"
        case .result: "RESULT"
        case .ack: "ACK"
        case .heartbeat: "HEARTBEAT"
        case .bye: "BYE"
        }
    }
}

/// A message that cannot be decoded. The receiver drops it (and may log it); it is never fatal.
package struct WireError: Error, CustomStringConvertible, Sendable {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// Frames of wire protocol v1: `[version, type, JSON body]`.
package enum WireCodec {
    /// The version frame of this protocol.
    package static let version = "1"
    /// Bodies larger than this are refused.
    package static let maxBodyBytes = 1 << 20

    /// The three frames for `message`.
    package static func encode(_ message: Message) -> [Data] {
        // The messages a coordinator sends per trial and per heartbeat, written directly.
        switch message {
        case .trial(let value): return [Data(version.utf8), Data(message.type.utf8), FastJSON.trial(value)]
        case .ack(let value): return [Data(version.utf8), Data(message.type.utf8), Data("{\"trial_id\":\(value.trial.rawValue)}".utf8)]
        case .heartbeat(let value) where value == Heartbeat():
            return [Data(version.utf8), Data(message.type.utf8), Data("{}".utf8)]
        default: break
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body: Data
        do {
            body = switch message {
            case .hello(let value): try encoder.encode(value)
            case .welcome(let value): try encoder.encode(value)
            case .trial(let value): try encoder.encode(value)
            case .report(let value): try encoder.encode(value)
            case .decision(let value): try encoder.encode(value)
            case .result(let value): try encoder.encode(value)
            case .ack(let value): try encoder.encode(value)
            case .heartbeat(let value): try encoder.encode(value)
            case .bye(let value): try encoder.encode(value)
            }
        } catch {
            // Only non-finite Doubles fail to encode; senders never put them in a message.
            preconditionFailure("message \(message.type) cannot be encoded: \(error)")
        }
        return [Data(version.utf8), Data(message.type.utf8), body]
    }

    /// The message in `frames` (exactly three: version, type, body).
    package static func decode(_ frames: [Data]) throws(WireError) -> Message {
        guard frames.count == 3 else { throw WireError("expected 3 frames (version, type, body), got \(frames.count)") }
        let version = String(decoding: frames[0], as: UTF8.self)
        guard version == Self.version else { throw WireError("unsupported protocol version '\(version.prefix(16))'") }
        guard frames[2].count <= maxBodyBytes else { throw WireError("body of \(frames[2].count) bytes is too large") }
        let type = String(decoding: frames[1], as: UTF8.self)
        let body = frames[2]
        let decoder = JSONDecoder()
        do {
            // JSONDecoder does not look inside the values of fields it skips; RFC 8259 allows no
            // raw control character in any string, so none is accepted anywhere.
            if let offset = Self.rawControlCharacterInString(body) {
                throw WireError("\(type) body is not valid: control character U+\(String(format: "%04X", body[body.startIndex + offset])) in a string at byte \(offset)")
            }
            // Nor does it check the spelling of numbers it skips (an unknown field, a repeated
            // name): a number outside RFC 8259's grammar is refused wherever it stands.
            if let offset = Self.malformedNumber(body) {
                throw WireError("\(type) body is not valid: a malformed number at byte \(offset)")
            }
            switch type {
            case "HELLO": return .hello(try decoder.decode(Hello.self, from: body))
            case "WELCOME": return .welcome(try decoder.decode(Welcome.self, from: body))
            case "TRIAL": return .trial(try decoder.decode(TrialAssignment.self, from: body))
            case "REPORT": return .report(try decoder.decode(Report.self, from: body))
            case "DECISION": return .decision(try decoder.decode(Decision.self, from: body))
            case "RESULT": return .result(try decoder.decode(TrialResult.self, from: body))
            case "ACK": return .ack(try decoder.decode(Ack.self, from: body))
            case "HEARTBEAT": return .heartbeat(try decoder.decode(Heartbeat.self, from: body))
            case "BYE": return .bye(try decoder.decode(Bye.self, from: body))
            default: throw WireError("unknown message type '\(type.prefix(32))'")
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("\(type) body is not valid: \(error)")
        }
    }
}

extension WireCodec {
    /// The offset of the first number outside a string of `body` that RFC 8259 does not allow
    /// (`05`, `0..5`, `1.`, `-`, `1e`), if any: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
    private static let numberMarks: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")]

    static func malformedNumber(_ body: Data) -> Int? {
        var inString = false, escaped = false
        var index = body.startIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while index < body.endIndex {
            let byte = body[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true; index += 1; continue }
            guard byte == UInt8(ascii: "-") || isDigit(byte) else { index += 1; continue }
            // A number token: every byte that can belong to one.
            let start = index
            var end = index
            while end < body.endIndex, isDigit(body[end]) || numberMarks.contains(body[end]) { end += 1 }
            let token = Array(body[start..<end])
            var k = 0
            if k < token.count, token[k] == UInt8(ascii: "-") { k += 1 }
            guard k < token.count, isDigit(token[k]) else { return start - body.startIndex }
            if token[k] == UInt8(ascii: "0") { k += 1 } else { while k < token.count, isDigit(token[k]) { k += 1 } }
            if k < token.count, token[k] == UInt8(ascii: ".") {
                k += 1
                guard k < token.count, isDigit(token[k]) else { return start - body.startIndex }
                while k < token.count, isDigit(token[k]) { k += 1 }
            }
            if k < token.count, token[k] == UInt8(ascii: "e") || token[k] == UInt8(ascii: "E") {
                k += 1
                if k < token.count, token[k] == UInt8(ascii: "+") || token[k] == UInt8(ascii: "-") { k += 1 }
                guard k < token.count, isDigit(token[k]) else { return start - body.startIndex }
                while k < token.count, isDigit(token[k]) { k += 1 }
            }
            guard k == token.count else { return start - body.startIndex }
            index = end
        }
        return nil
    }

    /// The offset of the first byte below 0x20 inside a JSON string of `body`, if any.
    static func rawControlCharacterInString(_ body: Data) -> Int? {
        var inString = false, escaped = false
        for (offset, byte) in body.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                if byte < 0x20 { return offset }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            }
        }
        return nil
    }
}

/// JSON for the hottest message, TRIAL, without the generic encoder: the same fields and
/// values as `JSONEncoder` with sorted keys writes.
enum FastJSON {
    static func trial(_ trial: TrialAssignment) -> Data {
        var text = "{\"attempt\":\(trial.attempt),"
        if !trial.inactive.isEmpty {
            text += "\"inactive\":["
            for (index, name) in trial.inactive.enumerated() {
                if index > 0 { text += "," }
                JSONText.string(name, into: &text)
            }
            text += "],"
        }
        if let maxSteps = trial.maxSteps { text += "\"max_steps\":\(maxSteps)," }
        text += "\"metric\":"
        JSONText.string(trial.metric, into: &text)
        text += ",\"params\":"
        JSONText.write(trial.params, into: &text)
        text += ",\"timeout_seconds\":\(JSONText.number(trial.timeoutSeconds)),\"trial_id\":\(trial.trial.rawValue)"
        if !trial.values.isEmpty {
            text += ",\"values\":["
            for (index, name) in trial.values.enumerated() {
                if index > 0 { text += "," }
                JSONText.string(name, into: &text)
            }
            text += "]"
        }
        text += "}"
        return Data(text.utf8)
    }
}
