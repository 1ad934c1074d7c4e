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

    @Test func readingAMissingDatabaseSaysWhatToDo() {
        let error = #expect(throws: StorageError.self) { try SQLiteTrialStore(readingAt: "/nonexistent/x.db") }
        #expect(error?.description.contains("no study database at /nonexistent/x.db") == true)
    }
}
