import Foundation
import SeededRandom
import Testing
import TrialModel
import WireProtocol

/// Property-based fuzzing of the decoders: a mutated input is either rejected for the reason its
/// frames call for, or accepted as a message that survives re-encoding with the values it carried.
/// The iteration count can be raised for a long run:
/// SEXTANT_FUZZ_ITERATIONS=1000000 swift test --filter FuzzTests
@Suite struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["SEXTANT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000

    /// Edits drawn from a fixed stream, so a failure found here reproduces.
    struct Mutator: RandomNumberGenerator {
        var random: Xoshiro256StarStar
        init(seed: UInt64) { random = Xoshiro256StarStar(seed: seed) }
        mutating func next() -> UInt64 { random.next() }

        /// One random edit: flip, insert, delete, duplicate a span, or splice in a JSON token.
        mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            let tokens = ["null", "1e309", "-1", "\"\"", "[]", "{}", "NaN", "\u{0}", "99999999999999999999", "true", "\\u0000"]
            for _ in 0...Int.random(in: 0...3, using: &self) {
                let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &self)
                switch Int.random(in: 0..<5, using: &self) {
                case 0 where !bytes.isEmpty: bytes[position] ^= UInt8.random(in: 1...255, using: &self)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &self), at: position)
                case 2 where !bytes.isEmpty: bytes.remove(at: position)
                case 3 where !bytes.isEmpty:
                    let end = min(bytes.count, position + Int.random(in: 1...16, using: &self))
                    bytes.insert(contentsOf: bytes[position..<end], at: position)
                default: bytes.insert(contentsOf: Array(tokens.randomElement(using: &self)!.utf8), at: position)
                }
            }
            return bytes
        }
    }

    /// Why the decoder must refuse some frames, worked out from the frames alone.
    enum Rejection: Equatable, CustomStringConvertible {
        case frameCount, version, unknownType, invalidBody(String)

        /// The rejection `frames` call for; nil when only the body's content decides.
        static func expected(for frames: [Data]) -> Rejection? {
            guard frames.count == 3 else { return .frameCount }
            guard frames[0] == Data("1".utf8) else { return .version }
            let type = String(decoding: frames[1], as: UTF8.self)
            guard FuzzTests.types.contains(type) else { return .unknownType }
            return nil
        }

        /// The rejection a decoder error reports, read from the start of its message.
        init?(_ error: WireError) {
            let text = error.description
            if text.hasPrefix("expected 3 frames") {
                self = .frameCount
            } else if text.hasPrefix("unsupported protocol version") {
                self = .version
            } else if text.hasPrefix("unknown message type") {
                self = .unknownType
            } else if let range = text.range(of: " body is not valid: ") {
                self = .invalidBody(String(text[..<range.lowerBound]))
            } else {
                return nil
            }
        }

        var description: String {
            switch self {
            case .frameCount: "wrong frame count"
            case .version: "unsupported version"
            case .unknownType: "unknown type"
            case .invalidBody(let type): "invalid \(type) body"
            }
        }
    }

    /// The message types of protocol v1.
    static let types: Set<String> = ["HELLO", "WELCOME", "TRIAL", "REPORT", "DECISION", "RESULT", "ACK", "HEARTBEAT", "BYE"]

    /// Body fields every message of a type must carry (docs/protocol.md); any other field is optional.
    static let requiredFields: [String: Set<String>] = [
        "HELLO": ["worker", "slots"],
        "WELCOME": ["study", "metric", "goal", "heartbeat_ms"],
        "TRIAL": ["trial_id", "attempt", "params", "metric", "timeout_seconds"],
        "REPORT": ["trial_id", "step", "value"],
        "DECISION": ["trial_id", "step", "action"],
        "RESULT": ["trial_id", "attempt", "status"],
        "ACK": ["trial_id"],
        "HEARTBEAT": [],
        "BYE": ["reason"],
    ]

    /// What an optional field stands for when a sender leaves it out (docs/protocol.md).
    static func defaultValue(of field: String, in type: String) -> Any? {
        switch (type, field) {
        case ("HELLO", "running"): [Any]()
        case ("REPORT", "attempt"): 1
        default: nil
        }
    }

    /// Whether two values parsed by `JSONSerialization` are the same JSON value (numbers by value).
    static func sameJSON(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { sameJSON(value, $0) } ?? false }
        case (let a as [Any], let b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy(sameJSON)
        case (let a as String, let b as String):
            return a == b
        case (let a as NSNumber, let b as NSNumber):
            // A boolean is no number: `true` and `1` differ.
            return a.doubleValue == b.doubleValue && isBoolean(a) == isBoolean(b)
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        type(of: number) == type(of: true as NSNumber) && String(cString: number.objCType) == String(cString: (true as NSNumber).objCType)
    }

    /// Checks that an accepted `message` re-encodes to frames that decode to it again, and that the
    /// body it re-encodes to holds, field for field, the values of the body it was decoded from.
    static func expectFaithful(_ message: Message, decodedFrom frames: [Data], _ comment: Comment) throws {
        let again = WireCodec.encode(message)
        #expect(try WireCodec.decode(again) == message, comment)
        // The decoder reads invalid UTF-8 as U+FFFD, so the reference reads the body so repaired.
        let repaired = Data(String(decoding: frames[2], as: UTF8.self).utf8)
        guard let received = (try? JSONSerialization.jsonObject(with: repaired)) as? [String: Any] else {
            Issue.record("accepted a body that is not a JSON object: \(comment)")
            return
        }
        // With a name repeated in one object, parsers disagree on which value counts (RFC 8259 §4):
        // the decoder keeps the first, JSONSerialization and Python the last. Only the round trip is checked.
        if repeatsAName(repaired) { return }
        let sent = try #require(try JSONSerialization.jsonObject(with: again[2]) as? [String: Any], comment)
        for (field, value) in sent {
            let original = received[field] ?? defaultValue(of: field, in: message.type)
            #expect(original.map { sameJSON($0, value) } == true, "\(field): \(value) vs \(String(describing: original)); \(comment)")
        }
        // Nothing the sender gave is lost, but what the message does not know and explicit nulls.
        for (field, value) in received where !(value is NSNull) {
            #expect(sent[field] != nil || !Self.knownFields(of: message.type).contains(field), "\(field) dropped; \(comment)")
        }
    }

    /// Whether some object in `json` (valid JSON) has two members with the same name, as written.
    static func repeatsAName(_ json: Data) -> Bool {
        let bytes = Array(json)
        var names: [Set<[UInt8]>?] = []  // one entry per open object (a set) or array (nil)
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"): names.append([])
            case UInt8(ascii: "["): names.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): names.removeLast()
            case UInt8(ascii: "\""):
                var end = index + 1
                while bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
                let string = Array(bytes[(index + 1)..<end])
                var next = end + 1
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":"), let last = names.indices.last, names[last] != nil {
                    if names[last]!.insert(string).inserted == false { return true }
                }
                index = end
            default: break
            }
            index += 1
        }
        return false
    }

    /// The fields a type's body may carry: the required ones and those its encoder can write.
    static func knownFields(of type: String) -> Set<String> {
        let optional: [String: Set<String>] = [
            "HELLO": ["running", "host"], "REPORT": ["attempt"], "RESULT": ["value", "step", "reason", "stderr_tail", "values"],
            "HEARTBEAT": ["running", "worker", "slots", "pending_results"],
        ]
        return (requiredFields[type] ?? []).union(optional[type] ?? [])
    }

    @Test func mutatedMessagesAreRejectedForTheirReasonOrDecodedFaithfully() throws {
        var mutator = Mutator(seed: 1)
        let seeds = WireCodecTests.messages.map(WireCodec.encode)
        var decoded = 0
        var rejections: [String: Int] = [:]
        for iteration in 0..<Self.iterations {
            var frames = seeds.randomElement(using: &mutator)!.map { Array($0) }
            let frame = Int.random(in: 0..<frames.count, using: &mutator)
            frames[frame] = mutator.mutate(frames[frame])
            if Int.random(in: 0..<20, using: &mutator) == 0 { frames.removeLast() }
            let input = frames.map { Data($0) }
            let expected = Rejection.expected(for: input)
            let comment: Comment = "iteration \(iteration): \(input.map { String(decoding: $0, as: UTF8.self) })"
            let message: Message
            do {
                message = try WireCodec.decode(input)
            } catch {
                let reason = Rejection(error)
                rejections[reason?.description ?? "unexplained", default: 0] += 1
                let type = String(decoding: input.count > 1 ? input[1] : Data(), as: UTF8.self)
                #expect(reason == (expected ?? .invalidBody(type)), "\(error); \(comment)")
                continue
            }
            decoded += 1
            #expect(expected == nil, "accepted although it calls for \(String(describing: expected)); \(comment)")
            #expect(message.type == String(decoding: input[1], as: UTF8.self), comment)
            try Self.expectFaithful(message, decodedFrom: input, comment)
        }
        // Every path was taken: valid messages, and each kind of rejection.
        #expect(decoded > 0)
        #expect(rejections["wrong frame count"] ?? 0 > 0 && rejections["unsupported version"] ?? 0 > 0
            && rejections["unknown type"] ?? 0 > 0 && rejections.keys.contains { $0.hasPrefix("invalid ") }, "\(rejections)")
        print("wire fuzz: \(Self.iterations) mutated messages, \(decoded) still valid, rejected: \(rejections)")
    }

    /// Each seed message with one body field left out, or replaced by a value no field accepts.
    @Test(arguments: WireCodecTests.messages)
    func aMissingOrMistypedFieldIsRejectedAsAnInvalidBody(message: Message) throws {
        let frames = WireCodec.encode(message)
        let body = try #require(try JSONSerialization.jsonObject(with: frames[2]) as? [String: Any])
        let required = try #require(Self.requiredFields[message.type])
        #expect(required.isSubset(of: body.keys), "the seed \(message.type) has every required field")
        for field in body.keys {
            for replacement in [nil, [[Any]()] as Any] {
                var mutated = body
                mutated[field] = replacement
                let input = [frames[0], frames[1], try JSONSerialization.data(withJSONObject: mutated)]
                let change = replacement == nil ? "without \(field)" : "with \(field) = [[]]"
                if replacement == nil && !required.contains(field) {
                    let decoded = try WireCodec.decode(input)
                    try Self.expectFaithful(decoded, decodedFrom: input, "\(message.type) \(change)")
                } else {
                    let error = #expect(throws: WireError.self, "\(message.type) \(change)") { try WireCodec.decode(input) }
                    #expect(error.flatMap(Rejection.init) == .invalidBody(message.type), "\(String(describing: error))")
                }
            }
        }
    }

    @Test func framesAroundAValidBodyAreRejectedForTheirReason() {
        let body = WireCodec.encode(.ack(Ack(trial: TrialID(3))))[2]
        let cases: [([Data], Rejection)] = [
            ([Data("1".utf8), Data("ACK".utf8)], .frameCount),
            ([Data("1".utf8), Data("ACK".utf8), body, body], .frameCount),
            ([Data("2".utf8), Data("ACK".utf8), body], .version),
            ([Data("1.0".utf8), Data("ACK".utf8), body], .version),
            ([Data("1".utf8), Data("ack".utf8), body], .unknownType),
            ([Data("1".utf8), Data("ACK ".utf8), body], .unknownType),
            ([Data("1".utf8), Data("ACK".utf8), Data("[3]".utf8)], .invalidBody("ACK")),
            ([Data("1".utf8), Data("ACK".utf8), Data(#"{"trial_id":3.5}"#.utf8)], .invalidBody("ACK")),
            ([Data("1".utf8), Data("REPORT".utf8), Data(#"{"trial_id":3,"step":1,"value":NaN}"#.utf8)], .invalidBody("REPORT")),
            ([Data("1".utf8), Data("REPORT".utf8), Data(#"{"trial_id":3,"step":1,"value":1e309}"#.utf8)], .invalidBody("REPORT")),
            ([Data("1".utf8), Data("RESULT".utf8), Data(#"{"trial_id":3,"attempt":1,"status":"exploded"}"#.utf8)],
             .invalidBody("RESULT")),
            ([Data("1".utf8), Data("DECISION".utf8), Data(#"{"trial_id":3,"step":1,"action":"maybe"}"#.utf8)],
             .invalidBody("DECISION")),
        ]
        for (frames, expected) in cases {
            let error = #expect(throws: WireError.self) { try WireCodec.decode(frames) }
            #expect(error.flatMap(Rejection.init) == expected, "\(frames.map { String(decoding: $0, as: UTF8.self) }): \(String(describing: error))")
        }
        let oversized = Data(#"{"reason":""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: WireCodec.maxBodyBytes) + Data(#""}"#.utf8)
        let error = #expect(throws: WireError.self) { try WireCodec.decode([Data("1".utf8), Data("BYE".utf8), oversized]) }
        #expect(error?.description.contains("too large") == true, "\(String(describing: error))")
    }

    @Test func theStudyFileParserRejectsWithAMessageOrReturnsAValidStudy() {
        var mutator = Mutator(seed: 2)
        let seed = Array(StudyFileTestsSeed.text.utf8)
        var parsed = 0, rejected = 0
        for _ in 0..<(Self.iterations / 4) {
            let text = String(decoding: mutator.mutate(seed), as: UTF8.self)
            do {
                let spec = try StudyFile.parse(text, file: "fuzz.yaml")
                parsed += 1
                Self.expectValid(spec, text)
            } catch {
                #expect(error.description.hasPrefix("fuzz.yaml: "))
                rejected += 1
            }
        }
        #expect(parsed > 0 && rejected > 0, "\(parsed) parsed, \(rejected) rejected")
        print("study-file fuzz: \(Self.iterations / 4) mutated files, \(rejected) rejected with a message, \(parsed) valid")
    }

    /// The rules of docs/study-file.md that any study the parser returns must follow.
    static func expectValid(_ spec: StudySpec, _ text: String) {
        #expect(!spec.name.isEmpty && !spec.metric.name.isEmpty, "\(text)")
        #expect(spec.budget.trials >= 1, "\(text)")
        #expect(!spec.space.parameters.isEmpty, "\(text)")
        // Names become SEXTANT_PARAM_<NAME>: letters, digits and _, distinct ignoring case.
        #expect(Set(spec.space.parameters.map { $0.name.uppercased() }).count == spec.space.parameters.count, "\(text)")
        for parameter in spec.space.parameters {
            #expect(parameter.name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil, "\(text)")
            switch parameter.domain {
            case .float(let low, let high, let log):
                #expect(low.isFinite && high.isFinite && low < high && (!log || low > 0), "\(parameter.name) in \(text)")
            case .int(let low, let high, let log):
                #expect(low <= high && (!log || low >= 1), "\(parameter.name) in \(text)")
            case .categorical(let values):
                #expect(!values.isEmpty && Set(values).count == values.count, "\(parameter.name) in \(text)")
            }
        }
    }
}

enum StudyFileTestsSeed {
    static let text = """
        name: mlp-digits
        metric: {name: val_loss, goal: minimize}
        budget: {trials: 60, max_seconds: 3600}
        optimizer: {kind: gp-ei, initial_trials: 8, seed: 7}
        pruner: {kind: asha, min_steps: 1, reduction_factor: 3}
        parameters:
          learning_rate: {type: float, low: 1.0e-5, high: 1.0, log: true}
          batch_size:    {type: int, low: 16, high: 512, log: true}
          optimizer:     {type: categorical, values: [sgd, momentum, adam]}
        """
}
