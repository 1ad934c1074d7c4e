package import Foundation
package import TrialModel
import GRDB

extension SQLiteTrialStore {
    package func queueInitial(_ configurations: [TrialModel.Configuration], in study: StudyID, at date: Date) throws {
        let texts = try configurations.map(Self.encode)
        try write { db in
            // Keyed by the configuration itself: one added to the file later is queued then, one
            // already used is not queued again.
            var known = Set(try String.fetchAll(
                db, sql: "SELECT params FROM queue WHERE study_id = ? AND kind = 'initial'", arguments: [study.rawValue]))
            for text in texts where !known.contains(text) {
                try db.execute(sql: "INSERT INTO queue (study_id, kind, params, created_at) VALUES (?, 'initial', ?, ?)",
                               arguments: [study.rawValue, text, date.timeIntervalSince1970])
                known.insert(text)
            }
        }
    }

    package func enqueue(_ configuration: TrialModel.Configuration, in study: StudyID, at date: Date) throws -> QueueEntryID {
        let text = try Self.encode(configuration)
        return try write { db in
            try db.execute(sql: "INSERT INTO queue (study_id, kind, params, created_at) VALUES (?, 'enqueued', ?, ?)",
                           arguments: [study.rawValue, text, date.timeIntervalSince1970])
            return QueueEntryID(db.lastInsertedRowID)
        }
    }

    package func queueRetry(of trial: TrialID, in study: StudyID, at date: Date) throws -> Bool {
        try write { db in
            let waiting = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM queue WHERE retry_of = ? AND used_at IS NULL)
                """, arguments: [trial.rawValue]) ?? false
            if waiting { return false }
            try db.execute(sql: "INSERT INTO queue (study_id, kind, retry_of, created_at) VALUES (?, 'retry', ?, ?)",
                           arguments: [study.rawValue, trial.rawValue, date.timeIntervalSince1970])
            return true
        }
    }

    package func waiting(in study: StudyID) throws -> [QueueEntry] {
        // Through `write`: the coordinator asks inside its batch, whose own changes it must see.
        try write { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, kind, params, retry_of FROM queue WHERE study_id = ? AND used_at IS NULL
                ORDER BY kind != 'initial', id
                """), arguments: [study.rawValue]).map(Self.queueEntry(from:))
        }
    }

    package func use(_ entry: QueueEntryID, for trial: TrialID?, at date: Date) throws {
        try write { db in
            try db.cachedStatement(sql: "UPDATE queue SET used_at = ?, trial_id = ? WHERE id = ?")
                .execute(arguments: [date.timeIntervalSince1970, trial?.rawValue, entry.rawValue])
        }
    }

    package func rerun(_ trial: TrialID, entry: QueueEntryID, at date: Date) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO attempt (trial_id, attempt, state, value, step, worker, started_at, finished_at, reason,
                                     stderr_tail, "values", reports)
                SELECT id, attempt, state, value, step, worker, started_at, finished_at, reason, stderr_tail, "values",
                       \(Self.reportsJSON)
                FROM trial WHERE id = ?
                """, arguments: [trial.rawValue])
            try db.execute(sql: """
                UPDATE trial SET state = 'pending', value = NULL, step = NULL, worker = NULL, started_at = NULL,
                finished_at = NULL, reason = NULL, stderr_tail = NULL, "values" = NULL WHERE id = ?
                """, arguments: [trial.rawValue])
            try db.execute(sql: "DELETE FROM report WHERE trial_id = ?", arguments: [trial.rawValue])
            try db.execute(sql: "DELETE FROM curve_prior WHERE trial_id = ?", arguments: [trial.rawValue])
            try db.execute(sql: "UPDATE queue SET used_at = ?, trial_id = ? WHERE id = ?",
                           arguments: [date.timeIntervalSince1970, trial.rawValue, entry.rawValue])
        }
    }

    package func earlierAttempts(in study: StudyID) throws -> [TrialAttempt] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT attempt.* FROM attempt JOIN trial ON trial.id = attempt.trial_id
                WHERE trial.study_id = ? ORDER BY attempt.trial_id, attempt.id
                """, arguments: [study.rawValue]).map(Self.attempt(from:))
        }
    }
}

extension SQLiteTrialStore {
    /// A trial's reports as the `attempt.reports` JSON, `[[step, value], ...]` by step (in a
    /// statement that selects from `trial`).
    static let reportsJSON = """
        (SELECT COALESCE(json_group_array(json_array(step, value)), '[]')
         FROM (SELECT step, value FROM report WHERE trial_id = trial.id ORDER BY step))
        """

    static func queueEntry(from row: Row) throws -> QueueEntry {
        let id = QueueEntryID(row["id"])
        let kind: String = row["kind"]
        if kind == "retry" { return QueueEntry(id: id, kind: .retry(TrialID(row["retry_of"]))) }
        let params: String = row["params"]
        let configuration = try JSONDecoder().decode(TrialModel.Configuration.self, from: Data(params.utf8))
        return QueueEntry(id: id, kind: kind == "initial" ? .initial(configuration) : .enqueued(configuration))
    }

    static func attempt(from row: Row) throws -> TrialAttempt {
        let trial = TrialID(row["trial_id"])
        let reportsText: String = row["reports"]
        let pairs = try JSONDecoder().decode([[Double]].self, from: Data(reportsText.utf8))
        let started: Double? = row["started_at"]
        let finished: Double? = row["finished_at"]
        let stateText: String = row["state"]
        return TrialAttempt(
            trial: trial, attempt: row["attempt"], state: TrialState(rawValue: stateText) ?? .failed,
            value: row["value"], step: row["step"], worker: row["worker"],
            startedAt: started.map(Date.init(timeIntervalSince1970:)),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)),
            reason: row["reason"], stderrTail: row["stderr_tail"], values: try values(from: row["values"]),
            reports: pairs.compactMap { pair in
                pair.count == 2 ? TrialReport(trial: trial, step: Int(pair[0]), value: pair[1]) : nil
            })
    }
}
