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
    var best: Trial? { trials.best(in: spec) }

    /// The `export --format json` document.
    struct Document: Encodable {
        var study: StudySummary
        var trials: [TrialEntry]
    }

    func jsonText() throws -> String {
        let document = Document(
            study: StudySummary(spec: spec, state: study.state.rawValue, createdAt: study.createdAt, trials: trials),
            trials: TrialEntry.marked(trials.map { trial in
                var entry = TrialEntry(trial)
                entry.earlierAttempts = earlierAttempts[trial.id].map { $0.map(AttemptEntry.init) }
                return entry
            }, trials: trials, spec: spec))
        return String(decoding: try StudyDocument.encoder(pretty: true).encode(document), as: UTF8.self)
    }

    /// RFC 4180 CSV: the trial fields, then one column per parameter. A study with several
    /// objectives or constraints adds a column per reported value after `value`, then `pareto`
    /// (several objectives) and `feasible` (constraints), each `true` or `false`.
    func csvText() -> String {
        let names = spec.space.parameters.map(\.name)
        let reported = spec.reportedNames
        let marks = TrialEntry.marked(trials.map { TrialEntry($0) }, trials: trials, spec: spec)
        var extra = reported
        if spec.isMultiObjective { extra.append("pareto") }
        if !spec.bounds.isEmpty { extra.append("feasible") }
        var lines = [(["id", "state", "value"] + extra + ["step", "attempt", "worker", "started_at", "finished_at", "reason"]
            + names).map(Self.csvField).joined(separator: ",")]
        for (trial, mark) in zip(trials, marks) {
            let value: String = trial.value.map { "\($0)" } ?? ""
            let step: String = trial.step.map { String($0) } ?? ""
            let started: String = trial.startedAt.map(StudyDocument.iso) ?? ""
            let finished: String = trial.finishedAt.map(StudyDocument.iso) ?? ""
            var fields: [String] = ["\(trial.id)", trial.state.rawValue, value]
            fields += reported.map { trial.values[$0].map(JSONText.number) ?? "" }
            if spec.isMultiObjective { fields.append(mark.pareto == true ? "true" : "false") }
            if !spec.bounds.isEmpty { fields.append(mark.feasible.map { $0 ? "true" : "false" } ?? "") }
            fields += [step, "\(trial.attempt)"]
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
