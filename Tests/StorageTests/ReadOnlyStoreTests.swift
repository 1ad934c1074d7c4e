import Foundation
import GRDB
import Storage
import Testing
import TrialModel

/// `SQLiteTrialStore(readOnlyAt:)`, the dashboard's view of a database: it sees what a writer
/// commits, lists every study, and can change nothing.
@Suite struct ReadOnlyStoreTests {
    static func spec(_ name: String) -> StudySpec {
        StudySpec(name: name, metric: .init(name: "loss", goal: .minimize), budget: .init(trials: 5),
                  space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))]))
    }

    @Test func seesWhatTheWriterCommitsAndListsEveryStudy() throws {
        let path = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try SQLiteTrialStore(path: path)
        let first = try writer.open(Self.spec("first"), at: Date())
        let reader = try SQLiteTrialStore(readOnlyAt: path)
        #expect(try reader.trials(in: first.id).isEmpty)
        _ = try writer.insertTrial(in: first.id, configuration: Configuration(["x": .double(0.5)]), worker: "w", at: Date())
        let second = try writer.open(Self.spec("second"), at: Date())
        #expect(try reader.trials(in: first.id).count == 1)
        #expect(try reader.studies().map(\.spec.name) == ["first", "second"])
        #expect(try reader.trialCounts() == [first.id: 1])
        #expect(try reader.latestStudy()?.id == second.id)
    }

    @Test func writesThroughItFailAndLeaveTheFileAsItWas() throws {
        let path = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let study = try SQLiteTrialStore(path: path).open(Self.spec("s"), at: Date())
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try SQLiteTrialStore(readOnlyAt: path)
        #expect(throws: StorageError.self) { try reader.setState(.finished, of: study.id) }
        #expect(throws: StorageError.self) {
            try reader.insertTrial(in: study.id, configuration: Configuration(["x": .double(0.1)]), worker: "w", at: Date())
        }
        #expect(try reader.latestStudy()?.state == .running)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aMissingFileOrAnotherKindOfFileIsNamedAsSuch() throws {
        let missing = #expect(throws: StorageError.self) { try SQLiteTrialStore(readOnlyAt: "/nonexistent/x.db") }
        #expect(missing?.description.contains("no study database at /nonexistent/x.db") == true)
        #expect(missing?.isInvalidStudy == true)

        let text = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: text) }
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
        let garbage = #expect(throws: StorageError.self) { try SQLiteTrialStore(readOnlyAt: text) }
        #expect(garbage?.description.contains("is not a Sextant study database") == true, "\(String(describing: garbage))")

        // An SQLite file of some other program.
        let other = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: other) }
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (a)") }
        let foreign = #expect(throws: StorageError.self) { try SQLiteTrialStore(readOnlyAt: other) }
        #expect(foreign?.description.contains("is not a Sextant study database") == true, "\(String(describing: foreign))")
        // It was only read: no study tables were made in it.
        #expect(try DatabaseQueue(path: other).read { try $0.tableExists("study") } == false)
    }
}
