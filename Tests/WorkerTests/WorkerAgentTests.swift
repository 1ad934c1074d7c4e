import Foundation
import Logging
import Synchronization
import Testing
import Timekeeping
import TransportTesting
import TrialModel
import WireProtocol
@testable import Worker

/// Log messages of one agent, so a test can wait until it has handled something that has no reply.
final class LogRecorder: Sendable {
    let messages = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "worker-test") { _ in Handler(recorder: self) }
    }

    func waitFor(_ message: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !messages.withLock({ $0.contains(message) }) {
            guard ContinuousClock.now < deadline else { throw InMemoryTimeout(waitingFor: "log '\(message)'") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            recorder.messages.withLock { $0.append(event.message.description) }
        }
    }
}

/// A worker agent running real commands, its coordinator played by the test through an
/// in-memory dealer, its time moved by the test.
struct AgentHarness {
    static let heartbeat = Duration.milliseconds(100)

    let transport = InMemoryDealerTransport()
    let timekeeper = ManualTimekeeper()
    let log = LogRecorder()
    let agent: WorkerAgent
    let directory: URL
    let run: Task<Void, Never>

    init(slots: Int = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = WorkerConfiguration(name: "w", slots: slots)
        configuration.heartbeatInterval = Self.heartbeat
        // The command is the trial's `script` parameter, so each test writes its own.
        agent = WorkerAgent(configuration: configuration, runner: .command(CommandTemplate(["sh", "-c", "{script}"])),
                            transport: transport, timekeeper: timekeeper, logger: log.logger)
        let agent = self.agent
        run = Task { await agent.run() }
    }

    /// A file the test creates to let a waiting command go on.
    func marker(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func release(_ name: String) {
        _ = FileManager.default.createFile(atPath: marker(name), contents: nil)
    }

    /// Shell that waits for `name` to exist.
    func waitScript(_ name: String) -> String { "while [ ! -f \(marker(name)) ]; do sleep 0.01; done" }

    func deliver(_ message: Message) {
        transport.deliver(WireCodec.encode(message))
    }

    func next(where predicate: @escaping (Message) -> Bool) async throws -> Message {
        try WireCodec.decode(try await transport.next(where: { (try? WireCodec.decode($0)).map(predicate) ?? false }))
    }

    func join() async throws {
        _ = try await next { if case .hello = $0 { true } else { false } }
        deliver(.welcome(Welcome(study: "s", metric: "loss", goal: .minimize, heartbeatMilliseconds: 100)))
        try await log.waitFor("joined the study")
    }

    func assign(_ id: Int64, script: String, timeout: Double = 0, attempt: Int = 1) {
        deliver(.trial(TrialAssignment(trial: TrialID(id), attempt: attempt, params: Configuration(["script": .string(script)]),
                                       metric: "loss", timeoutSeconds: timeout)))
    }

    func report(_ id: Int64, step: Int) async throws -> Report {
        guard case .report(let report) = try await next(where: {
            if case .report(let report) = $0 { report.trial == TrialID(id) && report.step == step } else { false }
        }) else { throw InMemoryTimeout(waitingFor: "report") }
        return report
    }

    func hello() async throws -> Hello {
        guard case .hello(let hello) = try await next(where: { if case .hello = $0 { true } else { false } }) else {
            throw InMemoryTimeout(waitingFor: "hello")
        }
        return hello
    }

    func heartbeat(where predicate: @escaping (Heartbeat) -> Bool = { _ in true }) async throws -> Heartbeat {
        guard case .heartbeat(let heartbeat) = try await next(where: {
            if case .heartbeat(let heartbeat) = $0 { predicate(heartbeat) } else { false }
        }) else { throw InMemoryTimeout(waitingFor: "heartbeat") }
        return heartbeat
    }

    func result(_ id: Int64) async throws -> TrialResult {
        guard case .result(let result) = try await next(where: {
            if case .result(let result) = $0 { result.trial == TrialID(id) } else { false }
        }) else { throw InMemoryTimeout(waitingFor: "result") }
        return result
    }

    /// Moves time one heartbeat interval, once the agent's ticker sleeps again.
    func tick(sleepers: Int = 1) async throws {
        try await timekeeper.waitForSleepers(sleepers)
        timekeeper.advance(by: Self.heartbeat)
    }

    func finish() async {
        deliver(.bye(Bye(reason: "done")))
        await run.value
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.timeLimit(.minutes(1))) struct WorkerAgentTests {
    @Test func saysHelloUntilWelcomedThenHeartbeats() async throws {
        let harness = try AgentHarness(slots: 2)
        let hello = try await harness.hello()
        #expect(hello.worker == "w" && hello.slots == 2 && hello.running.isEmpty)
        try await harness.tick()
        _ = try await harness.hello()
        harness.deliver(.welcome(Welcome(study: "s", metric: "loss", goal: .minimize, heartbeatMilliseconds: 100)))
        try await harness.log.waitFor("joined the study")
        try await harness.tick()
        let heartbeat = try await harness.heartbeat()
        #expect(heartbeat.worker == "w" && heartbeat.slots == 2 && heartbeat.running == [])
        await harness.finish()
    }

    @Test func streamsReportsAndResendsTheResultUntilAcknowledged() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(7, script: "echo loss=3 step=1; echo 'loss: 2 step=2'")
        #expect(try await harness.report(7, step: 1).value == 3)
        #expect(try await harness.report(7, step: 2).value == 2)
        let result = try await harness.result(7)
        #expect(result.outcome == .completed && result.value == 2 && result.step == 2 && result.attempt == 1)
        // Unacknowledged: listed in the heartbeat and sent again with it.
        try await harness.tick()
        #expect(try await harness.heartbeat().pendingResults == [TrialID(7)])
        #expect(try await harness.result(7) == result)
        harness.deliver(.ack(Ack(trial: TrialID(7))))
        try await harness.tick()
        let after = try await harness.heartbeat { $0.pendingResults == [] }
        #expect(after.running == [])
        await harness.finish()
    }

    @Test func aPruneForTheLatestReportStopsTheCommand() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(1, script: "echo loss=5 step=1; \(harness.waitScript("never"))")
        _ = try await harness.report(1, step: 1)
        harness.deliver(.decision(Decision(trial: TrialID(1), step: 1, action: .prune)))
        let result = try await harness.result(1)
        #expect(result.outcome == .pruned && result.value == 5 && result.step == 1)
        await harness.finish()
    }

    @Test func aPruneForAnOlderStepIsStaleAndTheCommandRunsToItsEnd() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(2, script: "echo loss=3 step=1; echo loss=2 step=2; \(harness.waitScript("go")); echo loss=1 step=3")
        _ = try await harness.report(2, step: 2)
        // The decision on step 1 arrives after step 2 was reported: the coordinator decides again on step 2.
        harness.deliver(.decision(Decision(trial: TrialID(2), step: 1, action: .prune)))
        try await harness.log.waitFor("ignored a prune decision that came too late")
        harness.release("go")
        let result = try await harness.result(2)
        #expect(result.outcome == .completed && result.value == 1 && result.step == 3)
        await harness.finish()
    }

    @Test func aPruneAfterTheCommandEndedChangesNothing() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(3, script: "echo loss=4 step=1")
        let result = try await harness.result(3)
        #expect(result.outcome == .completed)
        harness.deliver(.decision(Decision(trial: TrialID(3), step: 1, action: .prune)))
        try await harness.tick()
        #expect(try await harness.result(3) == result)
        await harness.finish()
    }

    @Test func aTrialTimesOutWhenItsTimeHasPassed() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(4, script: "echo loss=1 step=1; \(harness.waitScript("never"))", timeout: 5)
        _ = try await harness.report(4, step: 1)
        // The ticker and the trial's deadline sleep; 4.9 s is not yet the timeout, 5 s is.
        try await harness.timekeeper.waitForSleepers(2)
        harness.timekeeper.advance(by: .milliseconds(4900))
        // Both asleep again: the ticker ticked, the deadline did not fire.
        try await harness.timekeeper.waitForSleepers(2)
        harness.timekeeper.advance(by: .milliseconds(100))
        let result = try await harness.result(4)
        #expect(result.outcome == .failed && result.reason == "timed out after 5 s")
        await harness.finish()
    }

    @Test func aSilentCoordinatorIsGreetedAgain() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        // Each tick sends a HEARTBEAT or, after more than three silent intervals, a HELLO.
        for _ in 0..<3 {
            try await harness.tick()
            _ = try await harness.heartbeat()
        }
        try await harness.tick()
        _ = try await harness.hello()
        await harness.finish()
    }

    @Test func stoppingHandsRunningTrialsBackWithBye() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        harness.assign(5, script: "echo loss=1 step=1; \(harness.waitScript("never"))")
        _ = try await harness.report(5, step: 1)
        harness.agent.stop()
        _ = try await harness.next { if case .bye = $0 { true } else { false } }
        await harness.run.value
        #expect(!harness.transport.take().contains { (try? WireCodec.decode($0)).map { if case .result = $0 { true } else { false } } ?? false })
    }

    @Test func byeFromTheCoordinatorEndsTheWorker() async throws {
        let harness = try AgentHarness()
        try await harness.join()
        await harness.finish()
    }
}
