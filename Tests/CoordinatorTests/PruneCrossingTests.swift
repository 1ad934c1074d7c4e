import Coordinator
import Foundation
import Storage
import Testing
import TransportTesting
import TrialModel
import WireProtocol

/// REPORT, DECISION and RESULT cross on the wire in every order; docs/protocol.md gives the
/// rule for each, and each test here plays one order through the in-memory transport.
@Suite(.timeLimit(.minutes(1))) struct PruneCrossingTests {
    /// ASHA with rungs at steps 1, 3 and 9: of the first trials to reach a rung, only the best third goes on.
    static func spec(trials: Int) -> StudySpec {
        var spec = StudyCoordinatorTests.spec(trials: trials)
        spec.pruner = .init(kind: .asha, minSteps: 1, reductionFactor: 3)
        return spec
    }

    /// Runs two trials to their end on `peer` (values 1 and 2 at step 1): the next trial that
    /// reports a worse value at step 1 is told to stop.
    static func twoGoodTrials(_ harness: CoordinatorHarness, peer: String) async throws {
        for value in [1.0, 2.0] {
            let trial = try await harness.trial(for: peer)
            harness.transport.deliver(.report(Report(trial: trial.trial, attempt: 1, step: 1, value: value)), from: peer)
            _ = try await harness.transport.next(for: peer) { if case .decision = $0 { true } else { false } }
            harness.complete(trial, value: value, from: peer)
        }
    }

    static func pruneDecision(_ harness: CoordinatorHarness, _ trial: TrialAssignment, step: Int, value: Double,
                              peer: String) async throws -> Decision
    {
        harness.transport.deliver(.report(Report(trial: trial.trial, attempt: 1, step: step, value: value)), from: peer)
        guard case .decision(let decision) = try await harness.transport.next(for: peer, where: {
            if case .decision(let decision) = $0 { decision.trial == trial.trial } else { false }
        }) else { throw InMemoryTimeout(waitingFor: peer) }
        return decision
    }

    @Test func aTrialThatEndedBeforeThePruneArrivedIsCompletedWithANote() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        try await Self.twoGoodTrials(harness, peer: "p")
        let late = try await harness.trial(for: "p")
        #expect(try await Self.pruneDecision(harness, late, step: 1, value: 5, peer: "p").action == .prune)
        // The command had already printed its last step and ended: its RESULT crossed the decision.
        harness.transport.deliver(.result(TrialResult(trial: late.trial, attempt: 1, outcome: .completed,
                                                      value: 0.25, step: 10)), from: "p")
        #expect(try await run.outcome == .budgetSpent)
        let stored = try harness.store.trials(in: harness.study.id)
        #expect(stored.map(\.state) == [.completed, .completed, .completed])
        #expect(stored[2].value == 0.25 && stored[2].step == 10)
        #expect(stored[2].reason?.hasPrefix("ran to its end; the decision to stop it at step 1 came too late (ASHA rung at step 1:") == true, "\(stored[2].reason ?? "nil")")
        #expect(stored.best(for: .minimize)?.id == late.trial)
    }

    /// A worker that rejoins sends again the reports no DECISION answered: one older than the
    /// trial's latest is stored with a `continue` and no other decision, and one of another
    /// attempt is not stored.
    @Test func aReportSentAgainFillsInTheCurveWithoutADecision() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        try await Self.twoGoodTrials(harness, peer: "p")
        let late = try await harness.trial(for: "p")
        #expect(try await Self.pruneDecision(harness, late, step: 2, value: 0.5, peer: "p").action == .continue)
        // Step 1, worse than both others at the rung, arrives after step 2: no prune for it.
        #expect(try await Self.pruneDecision(harness, late, step: 1, value: 5, peer: "p").action == .continue)
        harness.transport.deliver(.report(Report(trial: late.trial, attempt: 2, step: 3, value: 9)), from: "p")
        harness.complete(late, value: 1.25, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        let reports = try harness.store.reports(in: harness.study.id).filter { $0.trial == late.trial }
        #expect(reports.map(\.step) == [1, 2] && reports.map(\.value) == [5, 0.5])
        let stored = try harness.store.trials(in: harness.study.id)
        #expect(stored[2].state == .completed && stored[2].reason == nil, "\(stored[2].reason ?? "")")
    }

    @Test func aTrialStoppedByThePruneIsPruned() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        try await Self.twoGoodTrials(harness, peer: "p")
        let stopped = try await harness.trial(for: "p")
        #expect(try await Self.pruneDecision(harness, stopped, step: 1, value: 5, peer: "p").action == .prune)
        harness.transport.deliver(.result(TrialResult(trial: stopped.trial, attempt: 1, outcome: .pruned,
                                                      value: 5, step: 1, reason: "pruned by the coordinator")), from: "p")
        #expect(try await run.outcome == .budgetSpent)
        let stored = try harness.store.trials(in: harness.study.id)
        #expect(stored[2].state == .pruned && stored[2].value == 5 && stored[2].step == 1)
        // The stored reason is the pruner's, not the worker's generic one.
        #expect(stored[2].reason?.hasPrefix("ASHA rung at step 1: 2 of the 3 trials there did better") == true, "\(stored[2].reason ?? "nil")")
        #expect(stored.best(for: .minimize)?.value == 1)
    }

    @Test func aReportAfterTheResultIsAnsweredButNotStored() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 2))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        harness.complete(first, value: 1, from: "p")
        _ = try await harness.transport.next(for: "p") { $0 == .ack(Ack(trial: first.trial)) }
        // A report retried from before the result (over a reconnect) comes in late.
        #expect(try await Self.pruneDecision(harness, first, step: 4, value: 7, peer: "p").action == .continue)
        let second = try await harness.trial(for: "p")
        harness.complete(second, value: 2, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.reports(in: harness.study.id).isEmpty)
        #expect(try harness.store.trials(in: harness.study.id)[0].step == 1)
    }

    @Test func reportsFasterThanDecisionsAreDecidedOneByOne() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        try await Self.twoGoodTrials(harness, peer: "p")
        let fast = try await harness.trial(for: "p")
        // Steps 1 and 2 arrive before the first decision goes out: step 1 is judged at its rung,
        // step 2 is no rung. The worker applies a decision only to its latest step (docs/protocol.md).
        harness.transport.deliver(.report(Report(trial: fast.trial, attempt: 1, step: 1, value: 5)), from: "p")
        harness.transport.deliver(.report(Report(trial: fast.trial, attempt: 1, step: 2, value: 4)), from: "p")
        let decisions = [
            try await harness.transport.next(for: "p") { if case .decision = $0 { true } else { false } },
            try await harness.transport.next(for: "p") { if case .decision = $0 { true } else { false } },
        ]
        #expect(decisions == [.decision(Decision(trial: fast.trial, step: 1, action: .prune)),
                              .decision(Decision(trial: fast.trial, step: 2, action: .continue))])
        harness.complete(fast, value: 3, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id)[2].state == .completed)
    }
}
