import Foundation
import Storage
import TrialModel

/// The study and its trials as scripts read them: `sextant export` and `status --json`.
struct StudyExport {
    let study: StudyRecord
    let trials: [Trial]

    init(options: DatabaseOptions) throws {
        let store = try SQLiteTrialStore(readingAt: options.db)
        let found = try options.study.map { try store.study(named: $0) } ?? store.latestStudy()
        guard let found else {
            throw StorageError(options.study.map { "no study named '\($0)' in \(options.db)" }
                ?? "the database \(options.db) holds no study yet", isInvalidStudy: true)
        }
        study = found
        trials = try store.trials(in: found.id)
    }

    var spec: StudySpec { study.spec }
    var best: Trial? { trials.best(for: spec.metric.goal) }

    /// ISO 8601 with milliseconds in UTC, e.g. `2026-11-23T11:20:00.123Z`.
    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    func json(_ value: ParameterValue) -> Any {
        switch value {
        case .double(let number): number
        case .int(let number): number
        case .string(let text): text
        case .bool(let flag): flag
        }
    }

    func object(_ trial: Trial) -> [String: Any] {
        var params: [String: Any] = [:]
        for (name, value) in trial.configuration.values { params[name] = json(value) }
        return [
            "id": trial.id.rawValue, "state": trial.state.rawValue, "params": params,
            "value": trial.value ?? NSNull(), "step": trial.step ?? NSNull(), "attempt": trial.attempt,
            "worker": trial.worker ?? NSNull(),
            "started_at": trial.startedAt.map(Self.iso) ?? NSNull(),
            "finished_at": trial.finishedAt.map(Self.iso) ?? NSNull(),
            "reason": trial.reason ?? NSNull(), "stderr_tail": trial.stderrTail ?? NSNull(),
        ]
    }

    var studyObject: [String: Any] {
        var counts: [String: Int] = [:]
        for state in TrialState.allCases { counts[state.rawValue] = trials.count { $0.state == state } }
        return [
            "name": spec.name, "state": study.state, "metric": spec.metric.name, "goal": spec.metric.goal.rawValue,
            "budget": ["trials": spec.budget.trials], "optimizer": spec.optimizer.kind.rawValue,
            "parameters": spec.space.parameters.map(\.name), "created_at": Self.iso(study.createdAt),
            "counts": counts, "best_trial": best.map { $0.id.rawValue } ?? NSNull(),
        ]
    }

    func jsonText() throws -> String {
        let root: [String: Any] = ["study": studyObject, "trials": trials.map(object)]
        let data = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 4180 CSV: the trial fields, then one column per parameter.
    func csvText() -> String {
        let names = spec.space.parameters.map(\.name)
        var lines = [(["id", "state", "value", "step", "attempt", "worker", "started_at", "finished_at", "reason"]
            + names).map(Self.csvField).joined(separator: ",")]
        for trial in trials {
            let value: String = trial.value.map { "\($0)" } ?? ""
            let step: String = trial.step.map { String($0) } ?? ""
            let started: String = trial.startedAt.map(Self.iso) ?? ""
            let finished: String = trial.finishedAt.map(Self.iso) ?? ""
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
