import Dashboard
import Foundation
import Storage
import TrialModel

/// The study and its trials as scripts read them: `sextant export` and `status --json`.
struct StudyExport {
    let study: StudyRecord
    let trials: [Trial]
    /// Attempts before a rerun (`sextant retry`), by trial, oldest first.
    let earlierAttempts: [TrialID: [TrialAttempt]]

    init(options: DatabaseOptions) throws {
        let store = try SQLiteTrialStore(readingAt: options.db)
        let found = try options.study.map { try store.study(named: $0) } ?? store.latestStudy()
        guard let found else {
            throw StorageError(options.study.map { "no study named '\($0)' in \(options.db)" }
                ?? "the database \(options.db) holds no study yet", isInvalidStudy: true)
        }
        study = found
        trials = try store.trials(in: found.id)
        earlierAttempts = Dictionary(grouping: try store.earlierAttempts(in: found.id), by: \.trial)
    }

    var spec: StudySpec { study.spec }
    var best: Trial? { trials.best(for: spec.metric.goal) }

    /// The `export --format json` document.
    struct Document: Encodable {
        var study: StudySummary
        var trials: [TrialEntry]
    }

    func jsonText() throws -> String {
        let document = Document(
            study: StudySummary(spec: spec, state: study.state.rawValue, createdAt: study.createdAt, trials: trials),
            trials: trials.map { trial in
                var entry = TrialEntry(trial)
                entry.earlierAttempts = earlierAttempts[trial.id].map { $0.map(AttemptEntry.init) }
                return entry
            })
        return String(decoding: try StudyDocument.encoder(pretty: true).encode(document), as: UTF8.self)
    }

    /// RFC 4180 CSV: the trial fields, then one column per parameter.
    func csvText() -> String {
        let names = spec.space.parameters.map(\.name)
        var lines = [(["id", "state", "value", "step", "attempt", "worker", "started_at", "finished_at", "reason"]
            + names).map(Self.csvField).joined(separator: ",")]
        for trial in trials {
            let value: String = trial.value.map { "\($0)" } ?? ""
            let step: String = trial.step.map { String($0) } ?? ""
            let started: String = trial.startedAt.map(StudyDocument.iso) ?? ""
            let finished: String = trial.finishedAt.map(StudyDocument.iso) ?? ""
            var fields: [String] = ["\(trial.id)", trial.state.rawValue, value, step, "\(trial.attempt)"]
            fields += [trial.worker ?? "", started, finished, trial.reason ?? ""]
            fields += names.map { trial.configuration[$0]?.description ?? "" }
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
