import Foundation
import Testing
import TrialModel
import WireProtocol

@Suite struct WireCodecTests {
    static let messages: [Message] = [
        .hello(Hello(worker: "w1", slots: 2, running: [TrialID(4)])),
        .welcome(Welcome(study: "s", metric: "loss", goal: .maximize, heartbeatMilliseconds: 1000)),
        .trial(TrialAssignment(trial: TrialID(7), attempt: 2, params: Configuration(["lr": .double(0.01), "o": .string("adam"), "n": .int(3)]),
                               metric: "loss", timeoutSeconds: 60)),
        .trial(TrialAssignment(trial: TrialID(8), attempt: 1, params: Configuration(["o": .string("adam")]),
                               metric: "loss", timeoutSeconds: 60, inactive: ["momentum"])),
        .trial(TrialAssignment(trial: TrialID(9), attempt: 1, params: Configuration(["lr": .double(0.1)]),
                               metric: "loss", timeoutSeconds: 60, maxSteps: 52)),
        .trial(TrialAssignment(trial: TrialID(10), attempt: 1, params: Configuration(["lr": .double(0.1)]),
                               metric: "loss", timeoutSeconds: 60, values: ["loss", "seconds", "size"])),
        .result(TrialResult(trial: TrialID(10), attempt: 1, outcome: .completed, value: 0.5, step: 3,
                            values: ["loss": 0.5, "seconds": 12, "size": 3.5])),
        .report(Report(trial: TrialID(7), attempt: 1, step: 3, value: 0.5)),
        .decision(Decision(trial: TrialID(7), step: 3, action: .prune)),
        .result(TrialResult(trial: TrialID(7), attempt: 1, outcome: .failed, step: 2, reason: "exit 1", stderrTail: "boom")),
        .ack(Ack(trial: TrialID(7))),
        .heartbeat(Heartbeat(running: [TrialID(1)], worker: "w", slots: 2)),
        .heartbeat(Heartbeat()),
        .bye(Bye(reason: "done")),
    ]

    @Test(arguments: messages)
    func roundTrips(message: Message) throws {
        let frames = WireCodec.encode(message)
        #expect(frames.count == 3)
        #expect(String(decoding: frames[0], as: UTF8.self) == "1")
        #expect(String(decoding: frames[1], as: UTF8.self) == message.type)
        #expect(try WireCodec.decode(frames) == message)
    }

    /// `inactive` is sent only when a conditional parameter is inactive, and a TRIAL without it
    /// (from a coordinator that predates conditions) reads as none.
    @Test func inactiveParametersAreOptionalOnTheWire() throws {
        let plain = TrialAssignment(trial: TrialID(7), attempt: 1, params: Configuration(["x": .int(1)]), metric: "loss", timeoutSeconds: 5)
        let body = WireCodec.encode(.trial(plain))[2]
        #expect(!String(decoding: body, as: UTF8.self).contains("inactive"))
        let old = Data(#"{"trial_id": 7, "attempt": 1, "params": {"x": 1}, "metric": "loss", "timeout_seconds": 5}"#.utf8)
        #expect(try JSONDecoder().decode(TrialAssignment.self, from: old) == plain)
        let withInactive = Data(#"{"trial_id": 7, "attempt": 1, "params": {"x": 1}, "metric": "loss", "timeout_seconds": 5, "inactive": ["m"]}"#.utf8)
        #expect(try JSONDecoder().decode(TrialAssignment.self, from: withInactive).inactive == ["m"])
    }

    /// `values` (TRIAL: the names a study needs; RESULT: their final values) is sent only by a study
    /// with several objectives or constraints, written as the generic encoder writes it, and read as
    /// none when absent.
    @Test func reportedValuesAreOptionalOnTheWire() throws {
        let plain = TrialAssignment(trial: TrialID(7), attempt: 1, params: Configuration(["x": .int(1)]), metric: "loss", timeoutSeconds: 5)
        #expect(!String(decoding: WireCodec.encode(.trial(plain))[2], as: UTF8.self).contains("values"))
        var several = plain
        several.values = ["loss", "ms"]
        let body = WireCodec.encode(.trial(several))[2]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(body == (try encoder.encode(several)), "\(String(decoding: body, as: UTF8.self))")
        let result = Data(#"{"trial_id": 7, "attempt": 1, "status": "completed", "value": 0.5, "values": {"loss": 0.5, "ms": 4}}"#.utf8)
        #expect(try JSONDecoder().decode(TrialResult.self, from: result).values == ["loss": 0.5, "ms": 4])
        let old = Data(#"{"trial_id": 7, "attempt": 1, "status": "completed", "value": 0.5}"#.utf8)
        #expect(try JSONDecoder().decode(TrialResult.self, from: old).values == nil)
    }

    /// A number outside JSON's grammar is refused even where the decoder would skip it (an unknown
    /// field, a repeated name); every spelling JSON allows is read.
    @Test func malformedNumbersAreRefusedWhereverTheyStand() throws {
        func report(_ extra: String) -> [Data] {
            [Data("1".utf8), Data("REPORT".utf8), Data(#"{"trial_id": 7, "step": 3, "value": 0.5, \#(extra)}"#.utf8)]
        }
        for bad in [#""x": 05"#, #""x": 0..5"#, #""x": 1."#, #""x": -"#, #""x": 1e"#, #""value": 0..5"#, #""x": [1, +2]"#] {
            #expect(throws: WireError.self, "\(bad)") { try WireCodec.decode(report(bad)) }
        }
        for good in [#""x": -0.5e-3"#, #""x": 12"#, #""x": 0"#, #""x": [1E+2, -0, 3.25]"#, #""x": "05 and 0..5 in a string""#] {
            #expect(try WireCodec.decode(report(good)) == .report(Report(trial: TrialID(7), attempt: 1, step: 3, value: 0.5)), "\(good)")
        }
    }

    /// `max_steps` is sent only by a study with a fidelity; a TRIAL without it reads as none.
    @Test func theFidelityMaximumIsOptionalOnTheWire() throws {
        let plain = TrialAssignment(trial: TrialID(7), attempt: 1, params: Configuration(["x": .int(1)]), metric: "loss", timeoutSeconds: 5)
        #expect(!String(decoding: WireCodec.encode(.trial(plain))[2], as: UTF8.self).contains("max_steps"))
        #expect(plain.maxSteps == nil)
        var fidelity = plain
        fidelity.maxSteps = 52
        let body = WireCodec.encode(.trial(fidelity))[2]
        #expect(String(decoding: body, as: UTF8.self).contains(#""max_steps":52"#))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(body == (try encoder.encode(fidelity)))
        let sent = Data(#"{"trial_id": 7, "attempt": 1, "params": {"x": 1}, "metric": "loss", "timeout_seconds": 5, "max_steps": 52}"#.utf8)
        #expect(try JSONDecoder().decode(TrialAssignment.self, from: sent) == fidelity)
    }

    @Test func trialBodiesMatchTheGenericEncoderForAwkwardValues() throws {
        let awkward = ["plain", "quote \" and \\ backslash", "tab\tnew\nline\r", "bell \u{7} nul \u{0}", "ünïcødé ✓ 𝔵", ""]
        let numbers = [0, -0.0, 5, 1e-05, -2.5e300, 0.1 + 0.2, 123456789.125, 1e21, Double.leastNonzeroMagnitude]
        for (index, word) in awkward.enumerated() {
            var values: [String: ParameterValue] = [word: .string(word), "flag": .bool(index % 2 == 0), "n": .int(-index)]
            for (position, number) in numbers.enumerated() { values["x\(position)"] = .double(number) }
            let trial = TrialAssignment(trial: TrialID(Int64(index)), attempt: index + 1, params: Configuration(values),
                                        metric: word, timeoutSeconds: 0.5 * Double(index))
            let frames = WireCodec.encode(.trial(trial))
            // The same message as the generic encoder's, value for value.
            let generic = try JSONEncoder().encode(trial)
            #expect(try JSONDecoder().decode(TrialAssignment.self, from: frames[2]) == JSONDecoder().decode(TrialAssignment.self, from: generic))
            #expect(try WireCodec.decode(frames) == WireCodec.decode([frames[0], frames[1], generic]))
            #expect(try JSONSerialization.jsonObject(with: frames[2]) is [String: Any])
        }
    }

    @Test func bodiesUseTheDocumentedFieldNames() throws {
        let frames = WireCodec.encode(.result(TrialResult(trial: TrialID(9), attempt: 1, outcome: .completed, value: 0.25, step: 3)))
        let body = try JSONSerialization.jsonObject(with: frames[2]) as? [String: Any]
        #expect(body?["trial_id"] as? Int == 9)
        #expect(body?["status"] as? String == "completed")
        #expect(body?["value"] as? Double == 0.25)
    }

    @Test func acceptsMessagesFromOtherImplementations() throws {
        // A minimal HELLO without `running`, a REPORT without `attempt`, and unknown extra fields.
        let hello = try WireCodec.decode([Data("1".utf8), Data("HELLO".utf8), Data(#"{"worker":"py","slots":1,"x":0}"#.utf8)])
        #expect(hello == .hello(Hello(worker: "py", slots: 1)))
        let report = try WireCodec.decode([Data("1".utf8), Data("REPORT".utf8), Data(#"{"trial_id":3,"step":1,"value":2}"#.utf8)])
        #expect(report == .report(Report(trial: TrialID(3), attempt: 1, step: 1, value: 2)))
    }

    @Test(arguments: [
        ["2", "HELLO", #"{"worker":"w","slots":1}"#],
        ["1", "HELLO"],
        ["1", "GREETINGS", "{}"],
        ["1", "HELLO", "not json"],
        ["1", "HELLO", #"{"slots":1}"#],
        ["1", "REPORT", #"{"trial_id":1,"step":1,"value":"high"}"#],
    ])
    func rejectsMalformedMessages(frames: [String]) {
        #expect(throws: WireError.self) { try WireCodec.decode(frames.map { Data($0.utf8) }) }
    }
}
