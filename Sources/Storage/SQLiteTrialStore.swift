package import Foundation
package import TrialModel
import GRDB

/// The SQLite study database (GRDB, WAL journal): one file holds any number of studies.
///
/// Writes commit with `synchronous = NORMAL` in WAL mode: a committed change
/// survives a crash of any process; only a power loss can drop the last commits.
package final class SQLiteTrialStore: TrialStore {
    private let pool: DatabasePool
    /// The open transaction of `batch` and the thread running it.
    private let batchSlot = BatchSlot()

    /// Opens (creating if needed) the database at `path` and migrates it forward.
    package init(path: String) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StorageError("cannot open study database \(path): \(error)")
        }
    }

    /// Opens an existing database for reading only (status, export).
    package init(readingAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError("no study database at \(path) (start a coordinator first, or pass --db)", isInvalidStudy: true)
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StorageError("cannot open study database \(path): \(error)")
        }
    }

    /// Opens an existing database for reading only: no migration, no write of any kind, and no
    /// lock beside it, so it serves a dashboard while a coordinator writes the study or long after.
    /// Throws, with `isInvalidStudy`, when the file is missing or is not a study database.
    package init(readOnlyAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError("no study database at \(path) (start a coordinator first, or pass --db)", isInvalidStudy: true)
        }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let notADatabase = StorageError(
            "\(path) is not a Sextant study database (no study tables in it); pass the --db a coordinator wrote",
            isInvalidStudy: true)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let tables = try pool.read { db in
                try ["study", "trial", "report"].allSatisfy { try db.tableExists($0) }
            }
            guard tables else { throw notADatabase }
        } catch let error as StorageError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw notADatabase
        } catch {
            throw StorageError("cannot open study database \(path): \(error)")
        }
    }

    package func batch<T>(_ body: () throws -> T) throws -> T {
        if batchSlot.database(on: pthread_self()) != nil { return try body() }
        do {
            return try pool.write { db in
                batchSlot.set(db, thread: pthread_self())
                defer { batchSlot.set(nil, thread: pthread_self()) }
                return try body()
            }
        } catch let error as DatabaseError {
            // The caller's own errors pass through as they are; only the database's are relabelled.
            throw StorageError("database write failed: \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            // Inside `batch` on its thread: part of that transaction.
            if let db = batchSlot.database(on: pthread_self()) { return try body(db) }
            return try pool.write(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("database write failed: \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StorageError("database read failed: \(error)")
        }
    }
}

/// The database handle of a running `batch`, visible only to the thread that runs it.
private final class BatchSlot: @unchecked Sendable {
    // Invariant: `lock` guards both fields; `database` is used only on `thread`, inside the
    // `pool.write` closure that opened it.
    private let lock = NSLock()
    private var database: Database?
    private var thread: pthread_t?

    func set(_ database: Database?, thread: pthread_t) {
        lock.withLock {
            self.database = database
            self.thread = database == nil ? nil : thread
        }
    }

    func database(on thread: pthread_t) -> Database? {
        lock.withLock {
            guard let database, let owner = self.thread, pthread_equal(owner, thread) != 0 else { return nil }
            return database
        }
    }
}

extension SQLiteTrialStore {
    package func open(_ spec: StudySpec, at date: Date) throws -> StudyRecord {
        let specText = try Self.encode(spec)
        return try write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM study WHERE name = ?", arguments: [spec.name]) {
                let existing = try Self.study(from: row)
                // The trials' values mean what they meant: the same metric streams, the same objectives.
                // (Reference points and constraints may change: front and feasibility are recomputed.)
                func goals(_ spec: StudySpec) -> [String] { spec.objectives.map { "\($0.name) \($0.goal)" } }
                guard existing.spec.space == spec.space, existing.spec.metric.name == spec.metric.name,
                      goals(existing.spec) == goals(spec) else {
                    throw StorageError(
                        "the database already holds a study named '\(spec.name)' with different parameters or metrics; "
                            + "rename the study or use another --db", isInvalidStudy: true)
                }
                // Budget, optimizer and pruner settings may change between runs; the latest file wins.
                try db.execute(sql: "UPDATE study SET spec = ?, state = ? WHERE id = ?",
                               arguments: [specText, StudyState.running.rawValue, existing.id.rawValue])
                return StudyRecord(id: existing.id, spec: spec, createdAt: existing.createdAt, state: .running)
            }
            try db.execute(sql: "INSERT INTO study (name, spec, created_at) VALUES (?, ?, ?)",
                           arguments: [spec.name, specText, date.timeIntervalSince1970])
            return StudyRecord(id: StudyID(db.lastInsertedRowID), spec: spec, createdAt: date, state: .running)
        }
    }

    package func latestStudy() throws -> StudyRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM study ORDER BY id DESC LIMIT 1").map(Self.study(from:))
        }
    }

    package func study(named name: String) throws -> StudyRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM study WHERE name = ?", arguments: [name]).map(Self.study(from:))
        }
    }

    /// Every study in the database, oldest first.
    package func studies() throws -> [StudyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM study ORDER BY id").map(Self.study(from:))
        }
    }

    /// How many trials each study holds; a study without trials is absent.
    package func trialCounts() throws -> [StudyID: Int] {
        try read { db in
            var counts: [StudyID: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT study_id, COUNT(*) AS count FROM trial GROUP BY study_id") {
                counts[StudyID(row["study_id"])] = row["count"]
            }
            return counts
        }
    }

    package func setState(_ state: StudyState, of study: StudyID) throws {
        try write { db in
            try db.execute(sql: "UPDATE study SET state = ? WHERE id = ?", arguments: [state.rawValue, study.rawValue])
        }
    }

    // The statements below run once or twice per trial: prepared once per connection and reused.

    package func insertTrial(in study: StudyID, configuration: TrialModel.Configuration, worker: String, at date: Date) throws -> Trial {
        let params = try Self.encode(configuration)
        return try write { db in
            try db.cachedStatement(
                sql: "INSERT INTO trial (study_id, state, params, attempt, worker, started_at) VALUES (?, 'running', ?, 1, ?, ?)"
            ).execute(arguments: [study.rawValue, params, worker, date.timeIntervalSince1970])
            return Trial(id: TrialID(db.lastInsertedRowID), state: .running, configuration: configuration,
                         attempt: 1, worker: worker, startedAt: date)
        }
    }

    package func restart(_ trial: TrialID, attempt: Int, worker: String?, state: TrialState, at date: Date) throws {
        try write { db in
            try db.cachedStatement(
                sql: #"UPDATE trial SET state = ?, attempt = ?, worker = ?, started_at = ?, step = NULL, value = NULL, "values" = NULL WHERE id = ?"#
            ).execute(arguments: [state.rawValue, attempt, worker, date.timeIntervalSince1970, trial.rawValue])
            try db.cachedStatement(sql: "DELETE FROM report WHERE trial_id = ?").execute(arguments: [trial.rawValue])
            try db.cachedStatement(sql: "DELETE FROM curve_prior WHERE trial_id = ?").execute(arguments: [trial.rawValue])
        }
    }

    package func requeue(_ trial: TrialID, reason: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO attempt (trial_id, attempt, state, value, step, worker, started_at, finished_at, reason, reports)
                SELECT id, attempt, 'failed', NULL, step, worker, started_at, ?, ?, \(Self.reportsJSON)
                FROM trial WHERE id = ?
                """, arguments: [date.timeIntervalSince1970, reason, trial.rawValue])
            try db.execute(sql: #"""
                UPDATE trial SET state = 'pending', worker = NULL, started_at = NULL, step = NULL, value = NULL, "values" = NULL
                WHERE id = ?
                """#, arguments: [trial.rawValue])
            try db.execute(sql: "DELETE FROM report WHERE trial_id = ?", arguments: [trial.rawValue])
            try db.execute(sql: "DELETE FROM curve_prior WHERE trial_id = ?", arguments: [trial.rawValue])
        }
    }

    package func reclaimRequeued(_ trial: TrialID, worker: String) throws -> [TrialReport] {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT attempt.* FROM attempt JOIN trial ON trial.id = attempt.trial_id
                WHERE attempt.trial_id = ? AND attempt.attempt = trial.attempt ORDER BY attempt.id DESC LIMIT 1
                """, arguments: [trial.rawValue])
            else {
                try db.execute(sql: "UPDATE trial SET state = 'running', worker = ? WHERE id = ?", arguments: [worker, trial.rawValue])
                return []
            }
            let lost = try Self.attempt(from: row)
            try db.execute(sql: "UPDATE trial SET state = 'running', worker = ?, started_at = ?, step = ? WHERE id = ?",
                           arguments: [worker, lost.startedAt?.timeIntervalSince1970, lost.step, trial.rawValue])
            for report in lost.reports {
                try db.execute(sql: "INSERT OR REPLACE INTO report (trial_id, step, value, reported_at) VALUES (?, ?, ?, ?)",
                               arguments: [trial.rawValue, report.step, report.value, lost.finishedAt?.timeIntervalSince1970 ?? 0])
            }
            try db.execute(sql: "DELETE FROM attempt WHERE id = ?", arguments: [row["id"] as Int64])
            return lost.reports
        }
    }

    package func reclaim(_ trial: TrialID, worker: String) throws {
        try write { db in
            try db.cachedStatement(sql: "UPDATE trial SET worker = ? WHERE id = ?").execute(arguments: [worker, trial.rawValue])
        }
    }

    package func record(_ prior: CurvePrior, of trial: TrialID) throws {
        try write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO curve_prior (trial_id, mean, low, high) VALUES (?, ?, ?, ?)")
                .execute(arguments: [trial.rawValue, prior.mean, prior.low, prior.high])
        }
    }

    package func curvePriors(in study: StudyID) throws -> [TrialID: CurvePrior] {
        try read { db in
            var priors: [TrialID: CurvePrior] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT curve_prior.* FROM curve_prior JOIN trial ON trial.id = curve_prior.trial_id
                WHERE trial.study_id = ? AND trial.state = 'running'
                """, arguments: [study.rawValue]) {
                priors[TrialID(row["trial_id"])] = CurvePrior(mean: row["mean"], low: row["low"], high: row["high"])
            }
            return priors
        }
    }

    package func record(_ report: TrialReport, at date: Date) throws {
        try write { db in
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO report (trial_id, step, value, reported_at) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [report.trial.rawValue, report.step, report.value, date.timeIntervalSince1970])
            try db.cachedStatement(sql: "UPDATE trial SET step = MAX(COALESCE(step, 0), ?) WHERE id = ?")
                .execute(arguments: [report.step, report.trial.rawValue])
        }
    }

    package func finish(
        _ trial: TrialID, state: TrialState, value: Double?, values: [String: Double], step: Int?, reason: String?,
        stderrTail: String?, at date: Date
    ) throws {
        try write { db in
            try db.cachedStatement(sql: """
                    UPDATE trial SET state = ?, value = ?, step = COALESCE(?, step), reason = ?, stderr_tail = ?,
                    finished_at = ?, "values" = ? WHERE id = ?
                    """
            ).execute(arguments: [state.rawValue, value, step, reason, stderrTail, date.timeIntervalSince1970,
                                  values.isEmpty ? nil : JSONText.object(values), trial.rawValue])
        }
    }

    package func trials(in study: StudyID) throws -> [Trial] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trial WHERE study_id = ? ORDER BY id", arguments: [study.rawValue])
                .map(Self.trial(from:))
        }
    }

    package func reports(in study: StudyID) throws -> [TrialReport] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT report.trial_id, report.step, report.value FROM report
                JOIN trial ON trial.id = report.trial_id WHERE trial.study_id = ?
                ORDER BY report.trial_id, report.step
                """, arguments: [study.rawValue]).map { row in
                TrialReport(trial: TrialID(row["trial_id"]), step: row["step"], value: row["value"])
            }
        }
    }
}

extension SQLiteTrialStore {
    /// A configuration as its JSON column (written once per trial, so without the generic encoder).
    static func encode(_ configuration: TrialModel.Configuration) throws -> String {
        JSONText.object(configuration)
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func study(from row: Row) throws -> StudyRecord {
        let specText: String = row["spec"]
        let spec = try JSONDecoder().decode(StudySpec.self, from: Data(specText.utf8))
        return StudyRecord(id: StudyID(row["id"]), spec: spec,
                           createdAt: Date(timeIntervalSince1970: row["created_at"]),
                           state: StudyState(rawValue: row["state"]) ?? .interrupted)
    }

    static func trial(from row: Row) throws -> Trial {
        let params: String = row["params"]
        let stateText: String = row["state"]
        let started: Double? = row["started_at"]
        let finished: Double? = row["finished_at"]
        return Trial(
            id: TrialID(row["id"]), state: TrialState(rawValue: stateText) ?? .failed,
            configuration: try JSONDecoder().decode(TrialModel.Configuration.self, from: Data(params.utf8)),
            value: row["value"], step: row["step"], attempt: row["attempt"], worker: row["worker"],
            startedAt: started.map(Date.init(timeIntervalSince1970:)),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)),
            reason: row["reason"], stderrTail: row["stderr_tail"], values: try values(from: row["values"]))
    }

    /// The `values` column: a JSON object of numbers, or NULL for none.
    static func values(from text: String?) throws -> [String: Double] {
        guard let text else { return [:] }
        return try JSONDecoder().decode([String: Double].self, from: Data(text.utf8))
    }
}
