import Coordinator
import Foundation
import Storage
import Testing
import TrialModel
import WireProtocol

/// Configurations a person chose (initial, enqueued) and reruns, through a real SQLite file: the
/// queue is written by a second store on the same file, as `sextant enqueue` and `retry` do.
@Suite(.timeLimit(.minutes(1))) struct QueueTests {
    static func spec(trials: Int, initial: [Configuration]? = nil, optimizer: OptimizerKind = .random) -> StudySpec {
        var spec = StudySpec(
            name: "queue", metric: .init(name: "loss", goal: .minimize), budget: .init(trials: trials),
            optimizer: .init(kind: optimizer, initialTrials: 2, seed: 5),
            space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false)),
                                Parameter(name: "n", domain: .int(low: 1, high: 9, log: false))]))
        spec.initialConfigurations = initial
        return spec
    }

    static let full = Configuration(["x": .double(0.125), "n": .int(3)])
    static let partial = Configuration(["n": .int(7)])

    @Test(arguments: [OptimizerKind.random, .gpEI])
    func initialConfigurationsComeFirstInOrderAndPartialOnesAreCompleted(optimizer: OptimizerKind) async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 3, initial: [Self.full, Self.partial], optimizer: optimizer))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        #expect(first.params == Self.full)
        harness.complete(first, value: 0.5, from: "p")
        let second = try await harness.trial(for: "p")
        #expect(second.params["n"] == .int(7))
        let x = try #require(second.params["x"]?.numericValue)
        #expect(x >= 0 && x <= 1 && x != 0.125)
        harness.complete(second, value: 0.4, from: "p")
        let third = try await harness.trial(for: "p")
        #expect(third.params != Self.full && third.params["n"] != nil && third.params["x"] != nil)
        harness.complete(third, value: 0.3, from: "p")
        #expect(try await run.outcome == .budgetSpent)
    }

    @Test func aRestartedCoordinatorDoesNotRunInitialConfigurationsAgain() async throws {
        let second = Configuration(["x": .double(0.75), "n": .int(2)])
        let first = try CoordinatorHarness(Self.spec(trials: 1, initial: [Self.full, second]))
        let run = Task { try await first.coordinator.run() }
        first.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let done = try await first.trial(for: "p")
        #expect(done.params == Self.full)
        first.complete(done, value: 0.5, from: "p")
        #expect(try await run.outcome == .budgetSpent)

        // More budget, the same file: the first initial configuration was used, the second was not.
        let resumed = try CoordinatorHarness(Self.spec(trials: 3, initial: [Self.full, second]), path: first.path)
        let again = Task { try await resumed.coordinator.run() }
        resumed.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "q")
        let next = try await resumed.trial(for: "q")
        #expect(next.params == second)
        resumed.complete(next, value: 0.4, from: "q")
        let last = try await resumed.trial(for: "q")
        #expect(last.params != Self.full && last.params != second)
        resumed.complete(last, value: 0.3, from: "q")
        #expect(try await again.outcome == .budgetSpent)
        let configurations = try resumed.store.trials(in: resumed.study.id).map(\.configuration)
        #expect(configurations.count == 3 && configurations.filter { $0 == Self.full }.count == 1)
    }

    @Test func aRunningCoordinatorTakesEnqueuedConfigurationsInOrderBeforeSuggestions() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 4))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let first = try await harness.trial(for: "p")
        // Another process writes the queue while the coordinator runs.
        let other = try SQLiteTrialStore(path: harness.path)
        _ = try other.enqueue(Self.partial, in: harness.study.id, at: Date())
        _ = try other.enqueue(Self.full, in: harness.study.id, at: Date())
        harness.complete(first, value: 0.5, from: "p")
        let second = try await harness.trial(for: "p")
        #expect(second.params["n"] == .int(7) && second.params["x"] != nil)
        harness.complete(second, value: 0.5, from: "p")
        let third = try await harness.trial(for: "p")
        #expect(third.params == Self.full)
        harness.complete(third, value: 0.5, from: "p")
        let fourth = try await harness.trial(for: "p")
        harness.complete(fourth, value: 0.5, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try other.waiting(in: harness.study.id).isEmpty)
    }

    @Test func aRetryReachesAnIdleWorkerAtTheNextTickWithNoOtherMessage() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 2))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let failing = try await harness.trial(for: "p")
        harness.transport.deliver(.hello(Hello(worker: "v", slots: 1)), from: "q")
        let last = try await harness.trial(for: "q")
        harness.transport.deliver(.result(TrialResult(trial: failing.trial, attempt: 1, outcome: .failed, reason: "boom")),
                                  from: "p")
        // The budget is spent by the running trial: "p" idles.
        try await harness.settle()
        #expect(!harness.transport.messages(for: "p").contains { $0.isTrial })
        #expect(try SQLiteTrialStore(path: harness.path).queueRetry(of: failing.trial, in: harness.study.id, at: Date()))
        harness.transport.deliver(.heartbeat(Heartbeat()), from: "p")
        harness.transport.deliver(.heartbeat(Heartbeat()), from: "q")
        try await harness.advance(intervals: 1)
        let rerun = try await harness.trial(for: "p")
        #expect(rerun.trial == failing.trial && rerun.attempt == 2)
        harness.complete(rerun, value: 0.1, from: "p")
        harness.complete(last, value: 0.2, from: "q")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try harness.store.trials(in: harness.study.id).map(\.state) == [.completed, .completed])
    }

    @Test func aRetriedTrialRunsAsItsNextAttemptWithoutTakingBudget() async throws {
        let harness = try CoordinatorHarness(Self.spec(trials: 2))
        let run = Task { try await harness.coordinator.run() }
        harness.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let failing = try await harness.trial(for: "p")
        harness.transport.deliver(.report(Report(trial: failing.trial, attempt: 1, step: 1, value: 3)), from: "p")
        harness.transport.deliver(.result(TrialResult(trial: failing.trial, attempt: 1, outcome: .failed, step: 1,
                                                      reason: "exited with status 1")), from: "p")
        let last = try await harness.trial(for: "p")
        // Asked for while the budget's last trial runs: the study may not end before the rerun.
        #expect(try SQLiteTrialStore(path: harness.path).queueRetry(of: failing.trial, in: harness.study.id, at: Date()))
        harness.complete(last, value: 0.5, from: "p")
        let rerun = try await harness.trial(for: "p")
        #expect(rerun.trial == failing.trial && rerun.attempt == 2 && rerun.params == failing.params)
        harness.complete(rerun, value: 0.25, from: "p")
        #expect(try await run.outcome == .budgetSpent)

        let trials = try harness.store.trials(in: harness.study.id)
        #expect(trials.count == 2)
        #expect(trials[0].state == .completed && trials[0].attempt == 2 && trials[0].value == 0.25 && trials[0].reason == nil)
        let earlier = try harness.store.earlierAttempts(in: harness.study.id)
        #expect(earlier.count == 1)
        #expect(earlier.first?.attempt == 1 && earlier.first?.state == .failed)
        #expect(earlier.first?.reason == "exited with status 1" && earlier.first?.worker == "w")
        #expect(earlier.first?.reports == [TrialReport(trial: failing.trial, step: 1, value: 3)])
        // The first attempt's reports went with it: the trial's own curve starts afresh.
        #expect(try harness.store.reports(in: harness.study.id).isEmpty)
    }

    @Test func aRetryAskedForWhileStoppedRunsAfterTheBudgetWasSpent() async throws {
        let first = try CoordinatorHarness(Self.spec(trials: 1))
        let run = Task { try await first.coordinator.run() }
        first.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "p")
        let trial = try await first.trial(for: "p")
        first.complete(trial, value: 0.9, from: "p")
        #expect(try await run.outcome == .budgetSpent)
        #expect(try first.store.queueRetry(of: trial.trial, in: first.study.id, at: Date()))
        // Asking twice queues it once.
        #expect(try !first.store.queueRetry(of: trial.trial, in: first.study.id, at: Date()))

        let second = try CoordinatorHarness(Self.spec(trials: 1), path: first.path)
        let resumed = Task { try await second.coordinator.run() }
        second.transport.deliver(.hello(Hello(worker: "w", slots: 1)), from: "q")
        let rerun = try await second.trial(for: "q")
        #expect(rerun.trial == trial.trial && rerun.attempt == 2)
        second.complete(rerun, value: 1.5, from: "q")
        #expect(try await resumed.outcome == .budgetSpent)
        let stored = try second.store.trials(in: second.study.id)
        #expect(stored.count == 1 && stored[0].value == 1.5)
        #expect(try second.store.earlierAttempts(in: second.study.id).map(\.value) == [0.9])
    }
}
