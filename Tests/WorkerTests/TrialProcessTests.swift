import Foundation
import Synchronization
import Testing
import TrialModel
import WireProtocol
@testable import Worker

@Suite(.timeLimit(.minutes(1))) struct TrialProcessTests {
    /// Runs `arguments` to the end; returns the streamed reports and the outcome.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 30)
        async -> (streamed: [MetricLine], outcome: ProcessOutcome)
    {
        let streamed = Mutex<[MetricLine]>([])
        let process = TrialProcess(metric: "loss")
        let outcome = await withCheckedContinuation { continuation in
            process.start(arguments: arguments, environment: environment, timeout: timeout,
                          onReport: { line in streamed.withLock { $0.append(line) } },
                          onExit: { continuation.resume(returning: $0) })
        }
        return (streamed.withLock { $0 }, outcome)
    }

    static let assignment = TrialAssignment(trial: TrialID(5), attempt: 1, params: Configuration([:]), metric: "loss",
                                            timeoutSeconds: 1)

    @Test func streamsReportsAndCompletes() async {
        let (streamed, outcome) = await Self.run(["sh", "-c", "echo loss=3; echo noise; echo 'loss: 2 step=9'; echo loss=1"])
        #expect(streamed.map(\.value) == [3, 2, 1])
        #expect(streamed[1].step == 9)
        #expect(outcome.ending == .exited(0))
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .completed && result.value == 1)
    }

    @Test func passesTheEnvironmentAndSubstitutesArguments() async {
        let configuration = Configuration(["lr": .double(0.5), "opt": .string("adam")])
        let template = CommandTemplate(["sh", "-c", "echo loss=$SEXTANT_PARAM_LR; echo \"$SEXTANT_PARAMS\" >&2; test \"$0\" = adam", "{opt}"])
        let (streamed, outcome) = await Self.run(
            template.arguments(for: configuration),
            environment: CommandTemplate.environment(trial: TrialID(5), configuration: configuration))
        #expect(streamed.map(\.value) == [0.5])
        #expect(outcome.ending == .exited(0))
        #expect(outcome.stderrTail.contains(#""lr":0.5"#))
        #expect(outcome.stderrTail.contains(#""opt":"adam""#))
    }

    @Test func failureKeepsTheStderrTail() async {
        let (_, outcome) = await Self.run(["sh", "-c", "echo loss=1; echo 'CUDA out of memory' >&2; exit 3"])
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .failed)
        #expect(result.reason == "exited with status 3")
        #expect(result.stderrTail?.contains("CUDA out of memory") == true)
    }

    @Test func noReportAndMissingProgramFail() async {
        let silent = WorkerAgent.result(for: Self.assignment, outcome: await Self.run(["true"]).outcome)
        #expect(silent.outcome == .failed && silent.reason?.contains("without reporting loss") == true)
        let missing = WorkerAgent.result(for: Self.assignment, outcome: await Self.run(["/nonexistent/train"]).outcome)
        #expect(missing.outcome == .failed && missing.reason?.contains("cannot start /nonexistent/train") == true)
    }

    @Test func nanStopsTheCommandAtOnce() async {
        let start = ContinuousClock.now
        let (streamed, outcome) = await Self.run(["sh", "-c", "echo loss=1; echo loss=nan; sleep 20; echo loss=0.5"])
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(streamed.map(\.value) == [1])
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .failed && result.reason?.contains("non-finite") == true)
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("sextant-child-\(UUID().uuidString)").path
        // The child ignores SIGTERM and would write the marker after 4 s: SIGKILL must reach it too.
        let script = "sh -c 'trap \"\" TERM; sleep 4; touch \(marker)' & echo loss=1; wait"
        let (_, outcome) = await Self.run(["sh", "-c", script], timeout: 0.5)
        #expect(outcome.timedOut)
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .failed && result.reason == "timed out after 1 s")
        try await Task.sleep(for: .seconds(5))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
