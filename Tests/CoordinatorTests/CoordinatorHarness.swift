import Coordinator
import Foundation
import Logging
import Pruning
import Samplers
import Storage
import Synchronization
import Testing
import Timekeeping
import TransportTesting
import TrialModel
import WireProtocol

extension InMemoryRouterTransport {
    /// Delivers `message` as if `peer` had sent it.
    func deliver(_ message: Message, from peer: String) {
        deliver(WireCodec.encode(message), from: peer)
    }

    /// Removes and returns every message sent to `peer` so far.
    func messages(for peer: String) -> [Message] {
        take(for: peer).compactMap { try? WireCodec.decode($0) }
    }

    /// Waits for a message to `peer` matching `predicate`; removes and returns it.
    func next(for peer: String, where predicate: @escaping (Message) -> Bool) async throws -> Message {
        let frames = try await next(for: peer, where: { frames in (try? WireCodec.decode(frames)).map(predicate) ?? false })
        return try WireCodec.decode(frames)
    }
}

extension Message {
    var isTrial: Bool { if case .trial = self { true } else { false } }
}

/// A coordinator on a real SQLite file, an in-memory router and a manual timekeeper: the test
/// plays the workers and moves time itself.
struct CoordinatorHarness {
    static let heartbeat = Duration.milliseconds(100)
    private static let probes = Atomic<Int>(0)

    let transport = InMemoryRouterTransport()
    let timekeeper = ManualTimekeeper()
    let store: SQLiteTrialStore
    let study: StudyRecord
    let path: String
    let coordinator: StudyCoordinator

    init(_ spec: StudySpec, path: String? = nil, reclaimGrace: Duration = .milliseconds(400), liveness: Int = 5) throws {
        self.path = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("coord-\(UUID().uuidString).db").path
        store = try SQLiteTrialStore(path: self.path)
        study = try store.open(spec, at: Date())
        var configuration = CoordinatorConfiguration()
        configuration.heartbeatInterval = Self.heartbeat
        configuration.liveness = liveness
        configuration.reclaimGrace = reclaimGrace
        configuration.shutdownGrace = .seconds(5)
        coordinator = StudyCoordinator(study: study, store: store, sampler: try makeSampler(for: spec),
                                       pruner: makePruner(for: spec.pruner),
                                       transport: transport, configuration: configuration, timekeeper: timekeeper,
                                       logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func trial(for peer: String) async throws -> TrialAssignment {
        guard case .trial(let assignment) = try await transport.next(for: peer, where: \.isTrial) else {
            throw InMemoryTimeout(waitingFor: peer)
        }
        return assignment
    }

    /// Returns once the coordinator has handled everything delivered before: a report for a
    /// trial that does not exist is answered in order, after every earlier message.
    func settle() async throws {
        let step = Self.probes.add(1, ordering: .relaxed).newValue
        transport.deliver(.report(Report(trial: TrialID(-1), attempt: 1, step: step, value: 0)), from: "settle")
        _ = try await transport.next(for: "settle") { $0 == .decision(Decision(trial: TrialID(-1), step: step, action: .continue)) }
    }

    /// Moves time by `intervals` heartbeat intervals, one tick at a time, and settles.
    /// Everything delivered before is handled before time moves.
    func advance(intervals: Int) async throws {
        try await settle()
        for _ in 0..<intervals {
            try await timekeeper.waitForSleepers(1)
            timekeeper.advance(by: Self.heartbeat)
        }
        try await timekeeper.waitForSleepers(1)
        try await settle()
    }

    func complete(_ assignment: TrialAssignment, value: Double, from peer: String) {
        transport.deliver(.result(TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .completed,
                                              value: value, step: 1)), from: peer)
    }
}

extension Task where Failure == any Error {
    /// The task's value; cancelling the waiting test (its time limit) cancels the task too, so a
    /// study that never ends fails the test instead of hanging the test run.
    var outcome: Success {
        get async throws {
            try await withTaskCancellationHandler { try await value } onCancel: { cancel() }
        }
    }
}
