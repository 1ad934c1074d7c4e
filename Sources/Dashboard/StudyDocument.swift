public import Coordinator
public import Foundation
public import Storage
public import TrialModel

/// Everything the dashboard shows at one moment: the stored study, its trials and
/// reports, and what only the running coordinator knows (workers, suggest timings).
public struct DashboardSnapshot: Sendable {
    public var study: StudyRecord
    public var trials: [Trial]
    public var reports: [TrialReport]
    /// Nil when the study is read from a database with no coordinator attached.
    public var coordinator: CoordinatorStatus?
    public var takenAt: Date

    public init(study: StudyRecord, trials: [Trial], reports: [TrialReport], coordinator: CoordinatorStatus?,
                takenAt: Date = Date()) {
        self.study = study; self.trials = trials; self.reports = reports; self.coordinator = coordinator
        self.takenAt = takenAt
    }

    public var spec: StudySpec { study.spec }
    public var best: Trial? { trials.best(for: spec.metric.goal) }
}

/// The JSON shapes of `/api/*`, `sextant export --format json` and `status --json`,
/// built in one place so every reader sees the same fields (docs/dashboard.md).
public enum StudyDocument {
    /// ISO 8601 with milliseconds in UTC, e.g. `2026-11-23T11:20:00.123Z`.
    public static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    public static func json(_ value: ParameterValue) -> Any {
        switch value {
        case .double(let number): number
        case .int(let number): number
        case .string(let text): text
        case .bool(let flag): flag
        }
    }

    /// A finite number, or null: JSON has no NaN or infinity.
    static func number(_ value: Double?) -> Any {
        guard let value, value.isFinite else { return NSNull() }
        return value
    }

    /// One trial as export and `/api/trials` show it.
    public static func trial(_ trial: Trial) -> [String: Any] {
        var params: [String: Any] = [:]
        for (name, value) in trial.configuration.values { params[name] = json(value) }
        return [
            "id": trial.id.rawValue, "state": trial.state.rawValue, "params": params,
            "value": number(trial.value), "step": trial.step ?? NSNull(), "attempt": trial.attempt,
            "worker": trial.worker ?? NSNull(),
            "started_at": trial.startedAt.map(iso) ?? NSNull(),
            "finished_at": trial.finishedAt.map(iso) ?? NSNull(),
            "reason": trial.reason ?? NSNull(), "stderr_tail": trial.stderrTail ?? NSNull(),
        ]
    }

    /// Trials with their intermediate reports (`reports`: `[[step, value], ...]`), for `/api/trials`.
    public static func trials(_ snapshot: DashboardSnapshot) -> [[String: Any]] {
        var curves: [TrialID: [[Any]]] = [:]
        for report in snapshot.reports where report.value.isFinite {
            curves[report.trial, default: []].append([report.step, report.value])
        }
        return snapshot.trials.map { item in
            var object = trial(item)
            object["reports"] = curves[item.id] ?? []
            return object
        }
    }

    public static func parameter(_ parameter: Parameter) -> [String: Any] {
        switch parameter.domain {
        case .float(let low, let high, let log):
            ["name": parameter.name, "type": "float", "low": low, "high": high, "log": log]
        case .int(let low, let high, let log):
            ["name": parameter.name, "type": "int", "low": low, "high": high, "log": log]
        case .categorical(let values):
            ["name": parameter.name, "type": "categorical", "choices": values.map(json)]
        }
    }

    /// The study summary that export and `status --json` print.
    public static func study(_ record: StudyRecord, trials: [Trial]) -> [String: Any] {
        let spec = record.spec
        var counts: [String: Int] = [:]
        for state in TrialState.allCases { counts[state.rawValue] = trials.count { $0.state == state } }
        var budget: [String: Any] = ["trials": spec.budget.trials]
        if let seconds = spec.budget.maxSeconds { budget["max_seconds"] = seconds }
        if let failures = spec.budget.maxFailures { budget["max_failures"] = failures }
        return [
            "name": spec.name, "state": record.state, "metric": spec.metric.name, "goal": spec.metric.goal.rawValue,
            "budget": budget, "optimizer": spec.optimizer.kind.rawValue, "pruner": spec.pruner.kind.rawValue,
            "parameters": spec.space.parameters.map(\.name), "created_at": iso(record.createdAt),
            "counts": counts, "best_trial": trials.best(for: spec.metric.goal).map { $0.id.rawValue } ?? NSNull(),
        ]
    }

    /// `/api/study`: the summary plus progress, the best trial, the search space and importance.
    public static func study(_ snapshot: DashboardSnapshot) -> [String: Any] {
        var object = study(snapshot.study, trials: snapshot.trials)
        let finished = snapshot.trials.count { $0.state.isFinished }
        object["finished"] = finished
        object["space"] = snapshot.spec.space.parameters.map(parameter)
        // The whole study file as the coordinator read it, for `sextant status --url`.
        if let data = try? JSONEncoder().encode(snapshot.spec), let spec = try? JSONSerialization.jsonObject(with: data) {
            object["spec"] = spec
        }
        if let best = snapshot.best {
            object["best"] = ["id": best.id.rawValue, "value": number(best.value),
                              "params": best.configuration.values.mapValues(json)] as [String: Any]
        } else {
            object["best"] = NSNull()
        }
        object["importance"] = ParameterImportance.shares(
            trials: snapshot.trials, space: snapshot.spec.space)
        object["now"] = iso(snapshot.takenAt)
        if let status = snapshot.coordinator {
            object["coordinator_started_at"] = iso(status.startedAt)
            object["stopping"] = status.stopping
            let elapsed = snapshot.takenAt.timeIntervalSince(status.startedAt)
            object["elapsed_seconds"] = elapsed
            object["eta_seconds"] = number(Progress.secondsLeft(
                trials: snapshot.trials, budget: snapshot.spec.budget.trials, since: status.startedAt,
                now: snapshot.takenAt))
        } else {
            object["elapsed_seconds"] = number(snapshot.trials.compactMap(\.startedAt).min().map {
                (snapshot.trials.compactMap(\.finishedAt).max() ?? snapshot.takenAt).timeIntervalSince($0)
            })
            object["eta_seconds"] = NSNull()
        }
        return object
    }

    /// `/api/workers`.
    public static func workers(_ status: CoordinatorStatus?) -> [[String: Any]] {
        (status?.workers ?? []).map { worker in
            [
                "name": worker.name, "host": worker.host ?? NSNull(), "slots": worker.slots,
                "running": worker.running, "last_heartbeat_seconds": worker.secondsSinceHeartbeat,
                "joined_at": iso(worker.joinedAt),
            ]
        }
    }

    public static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}

/// Estimates of how long a study still runs.
public enum Progress {
    /// Seconds until the budget is spent at the rate trials finished since `since`; nil before
    /// the first one finishes.
    public static func secondsLeft(trials: [Trial], budget: Int, since: Date, now: Date) -> Double? {
        let finished = trials.count { $0.state.isFinished }
        let recent = trials.count { trial in trial.state.isFinished && (trial.finishedAt.map { $0 >= since } ?? false) }
        let elapsed = now.timeIntervalSince(since)
        guard recent > 0, elapsed > 0 else { return nil }
        return Double(max(budget - finished, 0)) * elapsed / Double(recent)
    }
}
