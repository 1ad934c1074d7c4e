import Coordinator
import Foundation
import Logging
import Samplers
import Storage
import Testing
import SeededRandom
import TransportTesting
import TrialModel
import WireProtocol

@Suite(.timeLimit(.minutes(1))) struct StudyCoordinatorTests {
    static func spec(trials: Int, maxFailures: Int? = nil) -> StudySpec {
        StudySpec(name: "unit", metric: .init(name: "loss", goal: .minimize),
                  budget: .init(trials: trials, maxFailures: maxFailures), optimizer: .init(kind: .random, seed: 3),
                  space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))]))
    }

    @Test func handsOutTrialsUpToFreeSlotsAndEndsWithBye() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 4))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 2)), from: "peer-a")
        let first = try await harness.trial(for: "peer-a")
        let second = try await harness.trial(for: "peer-a")
        #expect(first.trial != second.trial)
        // Both slots are busy: no third trial until a result arrives.
        try await harness.settle()
        #expect(!harness.transport.messages(for: "peer-a").contains { $0.isTrial })

        harness.complete(first, value: 0.5, from: "peer-a")
        let ack = try await harness.transport.next(for: "peer-a") { if case .ack = $0 { true } else { false } }
        #expect(ack == .ack(Ack(trial: first.trial)))
        let third = try await harness.trial(for: "peer-a")
        harness.complete(second, value: 0.25, from: "peer-a")
        let fourth = try await harness.trial(for: "peer-a")
        harness.complete(third, value: 0.75, from: "peer-a")
        harness.complete(fourth, value: 1.0, from: "peer-a")
        _ = try await harness.transport.next(for: "peer-a") { if case .bye = $0 { true } else { false } }
        #expect(try await run.outcome == .budgetSpent)

        let trials = try harness.store.trials(in: harness.study.id)
        #expect(trials.map(\.state) == [.completed, .completed, .completed, .completed])
        #expect(trials.best(for: .minimize)?.value == 0.25)
    }

    /// A study with two objectives and a constraint: the TRIAL names every value; a RESULT that
    /// carries them is stored with them, one that lacks one (a worker that predates them) fails.
    @Test func aStudyWithSeveralValuesNeedsThemAll() async throws {
        var spec = Self.spec(trials: 3)
        spec.metrics = [.init(name: "loss", goal: .minimize), .init(name: "speed", goal: .maximize)]
        spec.constraints = [.init(name: "ms", max: 5)]
        let harness = try CoordinatorHarness(spec)
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        #expect(first.values == ["loss", "speed", "ms"])
        harness.transport.deliver(.result(TrialResult(trial: first.trial, attempt: 1, outcome: .completed, value: 0.5,
                                                      values: ["loss": 0.5, "speed": 2, "ms": 7])), from: "p")
        let second = try await harness.trial(for: "p")
        harness.complete(second, value: 0.4, from: "p")
        let third = try await harness.trial(for: "p")
        harness.transport.deliver(.result(TrialResult(trial: third.trial, attempt: 1, outcome: .completed, value: 0.3,
                                                      values: ["loss": 0.3, "speed": 1])), from: "p")
        #expect(try await run.outcome == .budgetSpent)
        let trials = try harness.store.trials(in: harness.study.id)
        #expect(trials[0].state == .completed && trials[0].values == ["loss": 0.5, "speed": 2, "ms": 7])
        #expect(!spec.isFeasible(trials[0]))
        #expect(trials[1].state == .failed && trials[1].reason?.contains("without reporting speed") == true, "\(trials[1])")
        #expect(trials[2].state == .failed && trials[2].reason?.contains("without reporting ms") == true, "\(trials[2])")
        // The one completed trial is infeasible: no best trial, an empty front.
        #expect(trials.best(in: spec) == nil && trials.paretoFront(in: spec).isEmpty)
    }

    @Test func aRepeatedResultIsAcknowledgedButCountedOnce() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 2))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        harness.complete(first, value: 0.5, from: "p")
        harness.complete(first, value: 0.1, from: "p")
        _ = try await harness.transport.next(for: "p") { $0 == .ack(Ack(trial: first.trial)) }
        _ = try await harness.transport.next(for: "p") { $0 == .ack(Ack(trial: first.trial)) }
        let second = try await harness.trial(for: "p")
        harness.complete(second, value: 0.3, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        let trials = try harness.store.trials(in: harness.study.id)
        #expect(trials.count == 2)
        #expect(trials[0].value == 0.5)
    }

    @Test func reportsAreStoredBeforeTheDecision() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let trial = try await harness.trial(for: "p")
        harness.transport.deliver(.report(Report(trial: trial.trial, attempt: 1, step: 1, value: 0.9)), from: "p")
        let decision = try await harness.transport.next(for: "p") { if case .decision = $0 { true } else { false } }
        #expect(decision == .decision(Decision(trial: trial.trial, step: 1, action: .continue)))
        #expect(try harness.store.reports(in: harness.study.id).map(\.value) == [0.9])
        harness.complete(trial, value: 0.8, from: "p")
        _ = try await run.outcome
    }

    @Test func aLostWorkersTrialGoesToAnotherWorker() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1), liveness: 5)
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "silent", slots: 1)), from: "a")
        let lost = try await harness.trial(for: "a")
        harness.transport.deliver(.report(Report(trial: lost.trial, attempt: 1, step: 1, value: 3)), from: "a")
        // "a" never speaks again; "b" heartbeats and gets the trial as attempt 2 once "a" is lost.
        harness.transport.deliver(.hello(Hello(worker: "alive", slots: 1)), from: "b")
        try await harness.advance(intervals: 4)
        #expect(try harness.store.trials(in: harness.study.id)[0].state == .running)
        harness.transport.deliver(.heartbeat(Heartbeat()), from: "b")
        try await harness.advance(intervals: 2)
        let retried = try await harness.trial(for: "b")
        #expect(retried.trial == lost.trial)
        #expect(retried.attempt == 2)
        harness.complete(retried, value: 1, from: "b")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id)[0].attempt == 2)
        // The lost attempt is kept, with its report, as an earlier attempt.
        let earlier = try harness.store.earlierAttempts(in: harness.study.id)
        #expect(earlier.map(\.attempt) == [1] && earlier.first?.state == .failed && earlier.first?.worker == "silent")
        #expect(earlier.first?.reason == "worker silent lost" && earlier.first?.reports.map(\.value) == [3])
        #expect(try harness.store.reports(in: harness.study.id).isEmpty, "attempt 2 reported nothing")
    }

    /// A lost worker that comes back still running its trial, before the trial went to another
    /// worker, takes it back as it was: the same attempt, with the reports it made.
    @Test func aLostWorkerThatComesBackKeepsItsTrial() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1), liveness: 5)
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "a")
        let trial = try await harness.trial(for: "a")
        harness.transport.deliver(.report(Report(trial: trial.trial, attempt: 1, step: 1, value: 3)), from: "a")
        try await harness.advance(intervals: 6)
        #expect(try harness.store.trials(in: harness.study.id)[0].state == .pending)
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1, running: [trial.trial])), from: "a2")
        harness.transport.deliver(.report(Report(trial: trial.trial, attempt: 1, step: 2, value: 2)), from: "a2")
        harness.complete(trial, value: 1, from: "a2")
        #expect(try await run.outcome == .budgetSpent)
        let stored = try harness.store.trials(in: harness.study.id)[0]
        #expect(stored.state == .completed && stored.attempt == 1 && stored.value == 1)
        #expect(try harness.store.reports(in: harness.study.id).map(\.step) == [1, 2])
        #expect(try harness.store.earlierAttempts(in: harness.study.id).isEmpty)
    }

    @Test func maxFailuresStopsTheStudy() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 10, maxFailures: 2))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        for _ in 0..<2 {
            let trial = try await harness.trial(for: "p")
            harness.transport.deliver(.result(TrialResult(trial: trial.trial, attempt: 1, outcome: .failed, reason: "boom")),
                                      from: "p")
        }
        #expect(try await run.outcome == .tooManyFailures(2))
        #expect(try harness.store.study(named: "unit")?.state == .stopped)
    }

    @Test func aRestartedCoordinatorRequeuesUnfinishedTrials() async throws {
        let first = try CoordinatorHarness(Self.spec(trials: 2))
        let run = Task { try await first.coordinator.run() }
        first.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let done = try await first.trial(for: "p")
        first.complete(done, value: 0.4, from: "p")
        let interrupted = try await first.trial(for: "p")
        run.cancel()
        first.transport.close()
        _ = try? await run.value

        let second = try CoordinatorHarness(Self.spec(trials: 2), path: first.path)
        let resumed = Task { try await second.coordinator.run() }
        second.transport.deliver(.hello(Hello(worker: "w2", slots: 1)), from: "q")
        // The trial waits the reclaim grace (4 intervals) for its worker, then goes to "q".
        try await second.advance(intervals: 3)
        #expect(!second.transport.messages(for: "q").contains { $0.isTrial })
        second.transport.deliver(.heartbeat(Heartbeat()), from: "q")
        try await second.advance(intervals: 2)
        let retried = try await second.trial(for: "q")
        #expect(retried.trial == interrupted.trial && retried.attempt == 2)
        second.complete(retried, value: 0.2, from: "q")
        #expect(try await resumed.outcome == .budgetSpent)
        #expect(try second.store.trials(in: second.study.id).map(\.value) == [0.4, 0.2])
    }
}

extension StudyCoordinatorTests {
    @Test func aStaleHelloDoesNotFreeABusySlot() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        // A HELLO queued before the TRIAL arrived, still saying nothing runs.
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1, running: [])), from: "p")
        _ = try await harness.transport.next(for: "p") { if case .welcome = $0 { true } else { false } }
        try await harness.settle()
        #expect(!harness.transport.messages(for: "p").contains { $0.isTrial })
        harness.complete(first, value: 1, from: "p")
        let second = try await harness.trial(for: "p")
        harness.complete(second, value: 2, from: "p")
        let third = try await harness.trial(for: "p")
        harness.complete(third, value: 3, from: "p")
        #expect(try await run.outcome == .budgetSpent)
    }
}

extension StudyCoordinatorTests {
    @Test func maxSecondsStopsTheStudyAndFailsRunningTrials() async throws {
        var spec = Self.spec(trials: 10)
        spec.budget.maxSeconds = 2
        let harness = try CoordinatorHarness(spec, liveness: 50)
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        _ = try await harness.trial(for: "p")
        try await harness.advance(intervals: 19)
        #expect(try harness.store.trials(in: harness.study.id)[0].state == .running)
        try await harness.timekeeper.waitForSleepers(1)
        harness.timekeeper.advance(by: CoordinatorHarness.heartbeat)
        #expect(try await run.outcome == .timeBudgetSpent)
        _ = try await harness.transport.next(for: "p") { if case .bye = $0 { true } else { false } }
        let trial = try harness.store.trials(in: harness.study.id)[0]
        #expect(trial.state == .failed)
        #expect(trial.reason == "study stopped: time budget spent")
    }
}

extension StudyCoordinatorTests {
    @Test func aWorkerThatRejoinsAfterARestartKeepsItsTrial() async throws {
        let first = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await first.coordinator.run() }
        first.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let trial = try await first.trial(for: "p")
        run.cancel()
        first.transport.close()
        _ = try? await run.value

        // The new coordinator waits for the worker, which rejoins (new connection) still running it.
        let second = try CoordinatorHarness(Self.spec(trials: 1), path: first.path, reclaimGrace: .seconds(30))
        let resumed = Task { try await second.coordinator.run() }
        second.transport.deliver(.hello(Hello(worker: "w", slots: 1, running: [trial.trial])), from: "p2")
        _ = try await second.transport.next(for: "p2") { if case .welcome = $0 { true } else { false } }
        try await second.settle()
        #expect(!second.transport.messages(for: "p2").contains { $0.isTrial })
        second.complete(trial, value: 0.5, from: "p2")
        #expect(try await resumed.outcome == .budgetSpent)
        let stored = try second.store.trials(in: second.study.id)
        #expect(stored.count == 1 && stored[0].attempt == 1 && stored[0].value == 0.5)
    }

    @Test func aTrialLostMoreThanMaxRetriesTimesFails() async throws {
        var spec = Self.spec(trials: 1)
        spec.maxRetries = 1
        let harness = try CoordinatorHarness(spec, liveness: 5)
        let run = Task { try await harness.coordinator.run() }
        // Two workers that each take the trial and go silent: attempt 1, then attempt 2, then failed.
        harness.transport.deliver(.hello(Hello(worker: "a", slots: 1)), from: "a")
        let first = try await harness.trial(for: "a")
        harness.transport.deliver(.hello(Hello(worker: "b", slots: 1)), from: "b")
        // "b" speaks once more, so "a" is lost first; then "b" goes silent as well.
        try await harness.advance(intervals: 4)
        harness.transport.deliver(.heartbeat(Heartbeat()), from: "b")
        try await harness.advance(intervals: 2)
        let second = try await harness.trial(for: "b")
        // "b" spoke last at 400 ms: at the tick of 1,000 ms it is lost too, and the study ends.
        try await harness.settle()
        for _ in 0..<4 {
            try await harness.timekeeper.waitForSleepers(1)
            harness.timekeeper.advance(by: CoordinatorHarness.heartbeat)
        }
        #expect(second.trial == first.trial && second.attempt == 2)
        #expect(try await run.outcome == .budgetSpent)
        let stored = try harness.store.trials(in: harness.study.id)[0]
        #expect(stored.state == .failed)
        #expect(stored.reason?.hasPrefix("lost 2 times (max_retries 1)") == true)
    }

    @Test func shutdownLetsRunningTrialsFinishThenStopsWithoutFailingThem() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 5))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 2)), from: "p")
        let first = try await harness.trial(for: "p")
        let second = try await harness.trial(for: "p")
        harness.coordinator.shutdown()
        while await !harness.coordinator.status().stopping { try await Task.sleep(for: .milliseconds(2)) }
        harness.complete(first, value: 1, from: "p")
        _ = try await harness.transport.next(for: "p") { $0 == .ack(Ack(trial: first.trial)) }
        // No new trial after the shutdown request, though a slot is free.
        try await harness.settle()
        #expect(!harness.transport.messages(for: "p").contains { $0.isTrial })
        harness.complete(second, value: 2, from: "p")
        #expect(try await run.outcome == .interrupted)
        let stored = try harness.store.trials(in: harness.study.id)
        #expect(stored.map(\.state) == [.completed, .completed])
        #expect(try harness.store.study(named: "unit")?.state == .interrupted)
    }
}

extension StudyCoordinatorTests {
    @Test func aHeartbeatFromAnUnknownWorkerRejoinsIt() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        // A plain heartbeat says too little to join; one with name and slots is taken as HELLO.
        harness.transport.deliver(.heartbeat(Heartbeat()), from: "p")
        try await harness.settle()
        #expect(harness.transport.messages(for: "p").isEmpty)
        harness.transport.deliver(.heartbeat(Heartbeat(running: [], worker: "w", slots: 1)), from: "p")
        _ = try await harness.transport.next(for: "p") { if case .welcome = $0 { true } else { false } }
        let trial = try await harness.trial(for: "p")
        harness.complete(trial, value: 1, from: "p")
        #expect(try await run.outcome == .budgetSpent)
    }
}

extension StudyCoordinatorTests {
    @Test func aTrialTheWorkerNeverReceivedIsSentAgain() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let lost = try await harness.trial(for: "p")
        // Within two intervals the TRIAL may still be on its way: the worker keeps it.
        try await harness.advance(intervals: 1)
        harness.transport.deliver(.heartbeat(Heartbeat(running: [], pendingResults: [])), from: "p")
        try await harness.settle()
        #expect(!harness.transport.messages(for: "p").contains { $0.isTrial })
        // Later, the worker still says it runs nothing and has no result pending: it never arrived.
        try await harness.advance(intervals: 2)
        harness.transport.deliver(.heartbeat(Heartbeat(running: [], pendingResults: [])), from: "p")
        let again = try await harness.trial(for: "p")
        #expect(again.trial == lost.trial && again.attempt == 2)
        harness.complete(again, value: 1, from: "p")
        #expect(try await run.outcome == .budgetSpent)
    }

    @Test func aTrialWhoseResultIsPendingIsNotSentAgain() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let trial = try await harness.trial(for: "p")
        try await harness.advance(intervals: 3)
        harness.transport.deliver(.heartbeat(Heartbeat(running: [], pendingResults: [trial.trial])), from: "p")
        try await harness.settle()
        #expect(!harness.transport.messages(for: "p").contains { $0.isTrial })
        harness.complete(trial, value: 1, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id)[0].attempt == 1)
    }
}

extension StudyCoordinatorTests {
    @Test func resultsFromAWorkerThatDoesNotHoldTheTrialAreIgnored() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "holder")
        let trial = try await harness.trial(for: "holder")
        // A stranger (joined or not) claims the trial with a fake value: acknowledged, not stored.
        harness.transport.deliver(.result(TrialResult(trial: trial.trial, attempt: 1, outcome: .completed, value: -1e9)),
                                  from: "stranger")
        _ = try await harness.transport.next(for: "stranger") { $0 == .ack(Ack(trial: trial.trial)) }
        harness.transport.deliver(.hello(Hello(worker: "x", slots: 1)), from: "joined")
        harness.transport.deliver(.result(TrialResult(trial: trial.trial, attempt: 1, outcome: .completed, value: -1e9)),
                                  from: "joined")
        _ = try await harness.transport.next(for: "joined") { $0 == .ack(Ack(trial: trial.trial)) }
        #expect(try harness.store.trials(in: harness.study.id)[0].state == .running)
        harness.complete(trial, value: 0.5, from: "holder")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id)[0].value == 0.5)
    }

    @Test func garbageChangesNothing() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await harness.coordinator.run() }
        var generator = Xoshiro256StarStar(seed: 20_261_201)
        for index in 0..<2000 {
            let frames = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                Data((0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            harness.transport.deliver(frames, from: "noise-\(index % 7)")
        }
        // Well-formed messages with wrong content: unknown trials, a report for nothing.
        harness.transport.deliver(.result(TrialResult(trial: TrialID(999), attempt: 1, outcome: .completed, value: 1)), from: "n")
        harness.transport.deliver(.report(Report(trial: TrialID(999), attempt: 1, step: 1, value: 1)), from: "n")
        try await harness.settle()
        #expect(try harness.store.trials(in: harness.study.id).isEmpty)
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let trial = try await harness.trial(for: "p")
        harness.complete(trial, value: 0.5, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id).count == 1)
    }
}

extension StudyCoordinatorTests {
    @Test func aShutdownAskedForBeforeTheStudyRunsIsNotLost() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3))
        // The request comes before run() starts; run() must still honour it.
        harness.coordinator.shutdown()
        #expect(try await harness.coordinator.run() == .interrupted)
        #expect(try harness.store.trials(in: harness.study.id).isEmpty)
    }
}
