import Foundation
import Storage
import Testing
import TrialModel

@Suite struct SQLiteTrialStoreTests {
    static let spec = StudySpec(
        name: "s", metric: .init(name: "loss", goal: .minimize), budget: .init(trials: 5),
        space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false)),
                            Parameter(name: "o", domain: .categorical([.string("a"), .string("b")]))]))

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sextant-store-\(UUID().uuidString).db").path
    }

    @Test func storesTheLifeOfATrialAndReadsItBackAfterReopening() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = Configuration(["x": .double(0.25), "o": .string("b")])
        let trialID: TrialID
        do {
            let store = try SQLiteTrialStore(path: path)
            let study = try store.open(Self.spec, at: Date())
            let trial = try store.insertTrial(in: study.id, configuration: configuration, worker: "w1", at: Date())
            trialID = trial.id
            try store.record(TrialReport(trial: trial.id, step: 1, value: 0.9), at: Date())
            try store.record(TrialReport(trial: trial.id, step: 2, value: 0.7), at: Date())
            try store.record(TrialReport(trial: trial.id, step: 2, value: 0.6), at: Date())
            try store.finish(trial.id, state: .completed, value: 0.5, step: 3, reason: nil, stderrTail: nil, at: Date())
        }
        let reopened = try SQLiteTrialStore(readingAt: path)
        let study = try #require(try reopened.latestStudy())
        #expect(study.spec == Self.spec)
        let trials = try reopened.trials(in: study.id)
        #expect(trials.count == 1)
        #expect(trials[0].id == trialID)
        #expect(trials[0].state == .completed)
        #expect(trials[0].value == 0.5)
        #expect(trials[0].step == 3)
        #expect(trials[0].configuration == configuration)
        #expect(trials[0].worker == "w1")
        #expect(trials[0].finishedAt != nil)
        #expect(try reopened.reports(in: study.id).map(\.value) == [0.9, 0.6])
    }

    @Test func reopeningAStudyResumesItAndRefusesAChangedSpace() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let first = try store.open(Self.spec, at: Date())
        var longer = Self.spec
        longer.budget.trials = 50
        #expect(try store.open(longer, at: Date()).id == first.id)
        var changed = Self.spec
        changed.space = SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 2, log: false))])
        let error = #expect(throws: StorageError.self) { try store.open(changed, at: Date()) }
        #expect(error?.isInvalidStudy == true)
    }

    @Test func restartHandsATrialToANewAttempt() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec, at: Date())
        let trial = try store.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.1), "o": .string("a")]),
                                          worker: "w1", at: Date())
        try store.record(TrialReport(trial: trial.id, step: 1, value: 3), at: Date())
        try store.restart(trial.id, attempt: 2, worker: "w2", state: .running, at: Date())
        let stored = try store.trials(in: study.id)[0]
        #expect(stored.attempt == 2 && stored.worker == "w2" && stored.state == .running && stored.step == nil)
        #expect(try store.reports(in: study.id).isEmpty)
    }

    /// A worker that still runs its trial after the coordinator restarted takes it back as it was:
    /// same attempt, start and reports, and what the curve model expected of it.
    @Test func aReclaimedTrialKeepsItsReportsAndItsPrior() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let started = Date(timeIntervalSince1970: 1_000)
        let (study, trial): (StudyRecord, Trial)
        let prior = CurvePrior(mean: 0.3, low: 0.25, high: 0.4)
        do {
            let store = try SQLiteTrialStore(path: path)
            study = try store.open(Self.spec, at: started)
            trial = try store.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.1), "o": .string("a")]),
                                          worker: "w1", at: started)
            try store.record(TrialReport(trial: trial.id, step: 1, value: 3), at: started)
            try store.record(prior, of: trial.id)
        }
        let store = try SQLiteTrialStore(path: path)
        try store.reclaim(trial.id, worker: "w1-again")
        let stored = try #require(try store.trials(in: study.id).first)
        #expect(stored.worker == "w1-again" && stored.attempt == 1 && stored.state == .running && stored.step == 1)
        #expect(stored.startedAt == started)
        #expect(try store.reports(in: study.id).map(\.step) == [1])
        #expect(try store.curvePriors(in: study.id) == [trial.id: prior])
        // Another attempt starts from nothing: no reports, no prior.
        try store.restart(trial.id, attempt: 2, worker: "w2", state: .running, at: Date())
        #expect(try store.curvePriors(in: study.id).isEmpty)
        // Likewise a rerun.
        try store.record(prior, of: trial.id)
        try store.finish(trial.id, state: .completed, value: 0.2, step: 1, reason: nil, stderrTail: nil, at: Date())
        #expect(try store.queueRetry(of: trial.id, in: study.id, at: Date()))
        try store.rerun(trial.id, entry: try #require(try store.waiting(in: study.id).first).id, at: Date())
        #expect(try store.curvePriors(in: study.id).isEmpty)
    }

    /// A trial whose worker was lost keeps the lost attempt, with its reports, as an earlier one;
    /// taken back by that worker, the attempt is the trial's again.
    @Test func aRequeuedTrialKeepsItsLostAttempt() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec, at: Date())
        let started = Date(timeIntervalSince1970: 2_000)
        let trial = try store.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.1), "o": .string("a")]),
                                          worker: "w1", at: started)
        try store.record(TrialReport(trial: trial.id, step: 1, value: 3), at: started)
        try store.record(TrialReport(trial: trial.id, step: 2, value: 2), at: started)
        try store.record(CurvePrior(mean: 1, low: 0.5, high: 2), of: trial.id)
        try store.requeue(trial.id, reason: "worker w1 lost", at: Date(timeIntervalSince1970: 2_100))
        var stored = try #require(try store.trials(in: study.id).first)
        #expect(stored.state == .pending && stored.worker == nil && stored.step == nil && stored.attempt == 1)
        #expect(try store.reports(in: study.id).isEmpty && store.curvePriors(in: study.id).isEmpty)
        let lost = try #require(try store.earlierAttempts(in: study.id).first)
        #expect(lost.attempt == 1 && lost.state == .failed && lost.reason == "worker w1 lost" && lost.worker == "w1")
        #expect(lost.startedAt == started && lost.step == 2 && lost.reports.map(\.value) == [3, 2])

        _ = try store.reclaimRequeued(trial.id, worker: "w1")
        stored = try #require(try store.trials(in: study.id).first)
        #expect(stored.state == .running && stored.worker == "w1" && stored.startedAt == started && stored.step == 2)
        #expect(try store.reports(in: study.id).map(\.value) == [3, 2])
        #expect(try store.earlierAttempts(in: study.id).isEmpty)
    }

    @Test func readingAMissingDatabaseSaysWhatToDo() {
        let error = #expect(throws: StorageError.self) { try SQLiteTrialStore(readingAt: "/nonexistent/x.db") }
        #expect(error?.description.contains("no study database at /nonexistent/x.db") == true)
    }
}

extension SQLiteTrialStoreTests {
    @Test func theQueueListsInitialConfigurationsFirstAndQueuesEachOnce() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec, at: Date())
        let a = Configuration(["x": .double(0.5)]), b = Configuration(["o": .string("a")])
        let enqueued = try store.enqueue(b, in: study.id, at: Date())
        try store.queueInitial([a, b], in: study.id, at: Date())
        // Queued again (a resumed coordinator, a study file with one more): only the new one is added.
        let c = Configuration(["x": .double(0.75)])
        try store.queueInitial([a, b, c], in: study.id, at: Date())
        #expect(try store.waiting(in: study.id).map(\.kind) == [.initial(a), .initial(b), .initial(c), .enqueued(b)])
        let trial = try store.insertTrial(in: study.id, configuration: b, worker: "w", at: Date())
        try store.use(enqueued, for: trial.id, at: Date())
        try store.queueInitial([a], in: study.id, at: Date())
        #expect(try store.waiting(in: study.id).map(\.kind) == [.initial(a), .initial(b), .initial(c)])
    }

    @Test func aRerunKeepsTheEndedAttemptWithItsReports() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec, at: Date())
        let trial = try store.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.1), "o": .string("a")]),
                                          worker: "w1", at: Date())
        try store.record(TrialReport(trial: trial.id, step: 2, value: 0.4), at: Date())
        try store.record(TrialReport(trial: trial.id, step: 1, value: 0.6), at: Date())
        try store.finish(trial.id, state: .failed, value: nil, step: nil, reason: "boom", stderrTail: "trace", at: Date())
        #expect(try store.queueRetry(of: trial.id, in: study.id, at: Date()))
        let entry = try #require(try store.waiting(in: study.id).first)
        #expect(entry.kind == .retry(trial.id))
        try store.rerun(trial.id, entry: entry.id, at: Date())

        #expect(try store.waiting(in: study.id).isEmpty)
        let stored = try #require(try store.trials(in: study.id).first)
        #expect(stored.state == .pending && stored.attempt == 1 && stored.reason == nil && stored.worker == nil)
        #expect(stored.finishedAt == nil && stored.step == nil)
        #expect(try store.reports(in: study.id).isEmpty)
        let earlier = try store.earlierAttempts(in: study.id)
        #expect(earlier.count == 1)
        #expect(earlier.first?.state == .failed && earlier.first?.reason == "boom" && earlier.first?.stderrTail == "trace")
        #expect(earlier.first?.worker == "w1" && earlier.first?.step == 2 && earlier.first?.finishedAt != nil)
        #expect(earlier.first?.reports.map(\.step) == [1, 2] && earlier.first?.reports.map(\.value) == [0.6, 0.4])
    }

    /// A completed trial run again keeps, in its earlier attempt, every value it reported.
    @Test func aRerunKeepsTheEndedAttemptsValues() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec, at: Date())
        let trial = try store.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.2), "o": .string("b")]),
                                          worker: "w1", at: Date())
        try store.finish(trial.id, state: .completed, value: 0.3, values: ["val_loss": 0.3, "seconds": 12.5], step: 4,
                         reason: nil, stderrTail: nil, at: Date())
        #expect(try store.queueRetry(of: trial.id, in: study.id, at: Date()))
        try store.rerun(trial.id, entry: try #require(try store.waiting(in: study.id).first).id, at: Date())
        #expect(try store.trials(in: study.id).first?.values == [:])
        let earlier = try #require(try store.earlierAttempts(in: study.id).first)
        #expect(earlier.state == .completed && earlier.value == 0.3)
        #expect(earlier.values == ["val_loss": 0.3, "seconds": 12.5])
    }
}
