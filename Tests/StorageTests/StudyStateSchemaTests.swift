import Foundation
import GRDB
import Storage
import Testing
import TrialModel

/// The study state column: only `StudyState` values get in, and databases written before it
/// had a CHECK migrate with their rows.
@Suite struct StudyStateSchemaTests {
    /// The first released schema, frozen here as a database of that release has it.
    static let firstSchema = """
        CREATE TABLE study (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            spec TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'running',
            created_at DOUBLE NOT NULL
        );
        CREATE TABLE trial (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            study_id INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','pruned')),
            params TEXT NOT NULL,
            value DOUBLE,
            step INTEGER,
            attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
            worker TEXT,
            started_at DOUBLE,
            finished_at DOUBLE,
            reason TEXT,
            stderr_tail TEXT
        );
        CREATE INDEX trial_by_study ON trial(study_id, state);
        CREATE TABLE report (
            trial_id INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            value DOUBLE NOT NULL,
            reported_at DOUBLE NOT NULL,
            PRIMARY KEY (trial_id, step)
        );
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1-studies-trials-reports');
        """

    static func spec(named name: String) -> StudySpec {
        var spec = SQLiteTrialStoreTests.spec
        spec.name = name
        return spec
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// Whether `error` is SQLite refusing a row for its CHECK constraint.
    static func isCheckViolation(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK
    }

    @Test func everyStudyStateIsStoredAndReadBack() throws {
        let path = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec(named: "states"), at: Date())
        #expect(study.state == .running)
        for state in StudyState.allCases.reversed() {
            try store.setState(state, of: study.id)
            #expect(try store.study(named: "states")?.state == state)
        }
    }

    @Test func theSchemaRefusesAStateThatIsNoStudyState() throws {
        let path = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteTrialStore(path: path)
        let study = try store.open(Self.spec(named: "checked"), at: Date())
        try store.setState(.finished, of: study.id)
        let database = try DatabaseQueue(path: path)
        let update = #expect(throws: DatabaseError.self) {
            try database.write { try $0.execute(sql: "UPDATE study SET state = 'paused' WHERE id = ?", arguments: [study.id.rawValue]) }
        }
        #expect(update.map(Self.isCheckViolation) == true, "\(String(describing: update))")
        let insert = #expect(throws: DatabaseError.self) {
            try database.write {
                try $0.execute(sql: "INSERT INTO study (name, spec, state, created_at) VALUES ('other', ?, 'FINISHED', 0)",
                               arguments: [try Self.json(Self.spec(named: "other"))])
            }
        }
        #expect(insert.map(Self.isCheckViolation) == true, "\(String(describing: insert))")
        // The refused writes changed nothing.
        #expect(try store.study(named: "checked")?.state == .finished)
        #expect(try store.study(named: "other") == nil)
    }

    @Test func aDatabaseOfTheFirstSchemaMigratesWithItsRowsIntact() throws {
        let path = SQLiteTrialStoreTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let done = Configuration(["x": .double(0.25), "o": .string("b")])
        let lost = Configuration(["x": .double(0.75), "o": .string("a")])
        do {
            let old = try DatabaseQueue(path: path)
            try old.write { db in
                try db.execute(sql: Self.firstSchema)
                try db.execute(sql: """
                    INSERT INTO study (id, name, spec, state, created_at) VALUES
                        (2, 'done', ?, 'finished', 100), (3, 'odd', ?, 'paused', 200), (4, 'gone', ?, 'stopped', 300);
                    INSERT INTO trial (id, study_id, state, params, value, step, attempt, worker, started_at, finished_at,
                                       reason, stderr_tail) VALUES
                        (10, 2, 'completed', ?, 0.5, 3, 1, 'w1', 101, 102, NULL, NULL),
                        (11, 3, 'failed', ?, NULL, 1, 2, 'w2', 201, 202, 'exit 1', 'boom'),
                        (12, 4, 'running', ?, NULL, NULL, 1, 'w3', 301, NULL, NULL, NULL);
                    INSERT INTO report (trial_id, step, value, reported_at) VALUES (10, 1, 0.9, 101.5), (10, 3, 0.5, 101.9),
                        (12, 1, 7, 301.5);
                    DELETE FROM study WHERE id = 4;
                    """, arguments: [try Self.json(Self.spec(named: "done")), try Self.json(Self.spec(named: "odd")),
                                     try Self.json(Self.spec(named: "gone")), try Self.json(done), try Self.json(lost),
                                     try Self.json(done)])
            }
        }

        let store = try SQLiteTrialStore(path: path)
        let finished = try #require(try store.study(named: "done"))
        #expect(finished.id == StudyID(2) && finished.state == .finished)
        #expect(finished.createdAt == Date(timeIntervalSince1970: 100) && finished.spec == Self.spec(named: "done"))
        // A state no release writes: not known to be over, so resumable.
        let odd = try #require(try store.study(named: "odd"))
        #expect(odd.id == StudyID(3) && odd.state == .interrupted)
        #expect(try store.study(named: "gone") == nil)

        let trials = try store.trials(in: finished.id)
        #expect(trials.map(\.id) == [TrialID(10)])
        let trial = try #require(trials.first)
        #expect(trial.state == .completed && trial.value == 0.5 && trial.step == 3 && trial.attempt == 1)
        #expect(trial.configuration == done && trial.worker == "w1")
        #expect(trial.startedAt == Date(timeIntervalSince1970: 101) && trial.finishedAt == Date(timeIntervalSince1970: 102))
        #expect(try store.reports(in: finished.id).map(\.value) == [0.9, 0.5])
        let failed = try #require(try store.trials(in: odd.id).first)
        #expect(failed.id == TrialID(11) && failed.state == .failed && failed.attempt == 2)
        #expect(failed.configuration == lost && failed.reason == "exit 1" && failed.stderrTail == "boom")
        #expect(failed.values.isEmpty, "a trial from before values has none")

        let database = try DatabaseQueue(path: path)
        try database.read { db in
            // The trials still point at the rebuilt table, and nothing dangles.
            let references = try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(trial)")
            #expect(references.map { $0["table"] as String } == ["study"])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                == ["v1-studies-trials-reports", "v2-study-state-check", "v3-queue-attempts", "v4-trial-values", "v5-attempt-values",
                   "v6-curve-priors"])
        }
        // The CHECK now holds on the migrated table; the id of the deleted study is not given out again.
        let update = #expect(throws: DatabaseError.self) {
            try database.write { try $0.execute(sql: "UPDATE study SET state = 'paused' WHERE id = 2") }
        }
        #expect(update.map(Self.isCheckViolation) == true)
        #expect(try store.open(Self.spec(named: "new"), at: Date()).id == StudyID(5))
        // Deleting a study still takes its trials and their reports with it.
        try database.write { try $0.execute(sql: "DELETE FROM study WHERE id = 2") }
        #expect(try store.trials(in: finished.id).isEmpty)
        #expect(try store.reports(in: finished.id).isEmpty)
    }
}
