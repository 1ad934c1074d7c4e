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
            // JSONDecoder does not look inside the values of fields it skips (an unknown field, a
            // repeated name): a raw control character in a string, or a number outside RFC 8259's
            // grammar, is refused wherever it stands.
            switch Self.lexicalProblem(body) {
            case .controlCharacter(let offset)?:
                throw WireError("\(type) body is not valid: control character U+\(String(format: "%04X", body[body.startIndex + offset])) in a string at byte \(offset)")
            case .malformedNumber(let offset)?:
                throw WireError("\(type) body is not valid: a malformed number at byte \(offset)")
            case nil:
                break
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
    /// What one pass over a body finds that JSONDecoder may let through.
    enum LexicalProblem: Equatable {
        /// A byte below 0x20 inside a string, at this offset.
        case controlCharacter(Int)
        /// A number that RFC 8259 does not allow (`05`, `0..5`, `1.`, `-`, `1e`) starting at this
        /// offset: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
        case malformedNumber(Int)
    }

    /// The first lexical problem in `body` (outside strings: numbers; inside: control characters), if any.
    static func lexicalProblem(_ body: Data) -> LexicalProblem? {
        body.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> LexicalProblem? in
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
            func isByte(_ i: Int, _ a: Unicode.Scalar, _ b: Unicode.Scalar? = nil) -> Bool {
                i < bytes.count && (bytes[i] == UInt8(ascii: a) || (b.map { bytes[i] == UInt8(ascii: $0) } ?? false))
            }
            var inString = false, escaped = false
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if inString {
                    if byte < 0x20 { return .controlCharacter(i) }
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                    i += 1
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = true; i += 1; continue }
                guard byte == UInt8(ascii: "-") || isDigit(i) else { i += 1; continue }
                // A number: read it by the grammar, then the next byte must not continue it.
                let start = i
                if isByte(i, "-") { i += 1 }
                guard isDigit(i) else { return .malformedNumber(start) }
                if isByte(i, "0") { i += 1 } else { while isDigit(i) { i += 1 } }
                if isByte(i, ".") {
                    i += 1
                    guard isDigit(i) else { return .malformedNumber(start) }
                    while isDigit(i) { i += 1 }
                }
                if isByte(i, "e", "E") {
                    i += 1
                    if isByte(i, "+", "-") { i += 1 }
                    guard isDigit(i) else { return .malformedNumber(start) }
                    while isDigit(i) { i += 1 }
                }
                if isDigit(i) || isByte(i, ".") || isByte(i, "e", "E") || isByte(i, "+", "-") { return .malformedNumber(start) }
            }
            return nil
        }
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
