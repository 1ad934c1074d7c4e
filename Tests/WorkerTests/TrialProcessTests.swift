import Foundation
import Synchronization
import Testing
import TrialModel
import WireProtocol
@testable import Worker

@Suite(.timeLimit(.minutes(1))) struct TrialProcessTests {
    /// Runs `arguments` to the end; returns the streamed reports and the outcome.
    /// `onReport` sees each report with the process, so a test can stop it at a report.
    static func run(_ arguments: [String], environment: [String: String] = [:],
                    onReport: @escaping @Sendable (MetricLine, TrialProcess) -> Void = { _, _ in })
        async -> (streamed: [MetricLine], outcome: ProcessOutcome)
    {
        let streamed = Mutex<[MetricLine]>([])
        let process = TrialProcess(metric: "loss")
        let outcome = await withCheckedContinuation { continuation in
            process.start(arguments: arguments, environment: environment,
                          onReport: { line in
                              streamed.withLock { $0.append(line) }
                              onReport(line, process)
                          },
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

    /// A study with several values: each value's last print, from any line, goes into the RESULT;
    /// a command that leaves one out, or prints a non-finite one, fails saying which.
    @Test func collectsEveryValueAStudyNeeds() async {
        var assignment = Self.assignment
        assignment.values = ["loss", "seconds", "size"]
        func outcome(_ script: String) async -> ProcessOutcome {
            let process = TrialProcess(metric: "loss", values: assignment.values)
            return await withCheckedContinuation { continuation in
                process.start(arguments: ["sh", "-c", script], environment: [:], onReport: { _ in },
                              onExit: { continuation.resume(returning: $0) })
            }
        }
        let complete = WorkerAgent.result(
            for: assignment, outcome: await outcome("echo loss=3 seconds=1; echo loss=2 size=9; echo 'seconds: 4'; echo step=2 loss=1"))
        #expect(complete.outcome == .completed && complete.value == 1)
        #expect(complete.values == ["loss": 1, "seconds": 4, "size": 9])
        let missing = WorkerAgent.result(for: assignment, outcome: await outcome("echo loss=1 seconds=2"))
        #expect(missing.outcome == .failed && missing.reason?.contains("without reporting size") == true, "\(String(describing: missing.reason))")
        let infinite = WorkerAgent.result(for: assignment, outcome: await outcome("echo loss=1 seconds=inf size=2"))
        #expect(infinite.outcome == .failed && infinite.reason?.contains("non-finite seconds") == true, "\(String(describing: infinite.reason))")
        // A study with one metric sends no values.
        #expect(WorkerAgent.result(for: Self.assignment, outcome: await outcome("echo loss=1 seconds=2")).values == nil)
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

    @Test func stoppingKillsTheWholeProcessGroup() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("sextant-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        // The child ignores SIGTERM: only the SIGKILL to the group after the grace ends it.
        let script = "sh -c 'trap \"\" TERM; echo $$ > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); sleep 60' & "
            + "while [ ! -f \(pidFile) ]; do sleep 0.01; done; echo loss=1; wait"
        let (_, outcome) = await Self.run(["sh", "-c", script]) { _, process in process.stop(.timedOut) }
        #expect(outcome.stopReason == .timedOut)
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .failed && result.reason == "timed out after 1 s")
        let child = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        // The child is gone once reaped by its new parent; wait for that, never for a fixed time.
        let deadline = ContinuousClock.now + .seconds(20)
        while kill(child, 0) == 0 || errno != ESRCH {
            if ContinuousClock.now > deadline { Issue.record("process \(child) survived its group's SIGKILL"); break }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aStopAfterTheCommandEndedChangesNothing() async {
        // The stop comes after the command exited but before the worker has its outcome (the
        // outcome waits for this report callback): the command ran to its end on its own.
        let (_, outcome) = await Self.run(["sh", "-c", "echo loss=1"]) { _, process in
            let deadline = ContinuousClock.now + .seconds(20)
            while !TrialProcess.hasEnded(process.pid) && ContinuousClock.now < deadline { usleep(1000) }
            process.stop(.pruned)
        }
        #expect(outcome.stopReason == nil)
        #expect(outcome.ending == .exited(0))
        #expect(WorkerAgent.result(for: Self.assignment, outcome: outcome).outcome == .completed)
    }

    @Test func aPruneThatReachesTheRunningCommandPrunesIt() async {
        let (_, outcome) = await Self.run(["sh", "-c", "echo loss=2; echo loss=1; sleep 60"]) { line, process in
            if line.value == 1 { process.stop(.pruned) }
        }
        #expect(outcome.ending == .signaled(SIGTERM))
        let result = WorkerAgent.result(for: Self.assignment, outcome: outcome)
        #expect(result.outcome == .pruned && result.value == 1 && result.step == 2)
    }
}
