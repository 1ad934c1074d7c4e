package import Foundation
package import TrialModel

/// One trial as `sextant export --format json` and `/api/trials` show it. Absent values
/// are written as `null`; `reports` is written only where it was filled in (`/api/trials`).
package struct TrialEntry: Codable, Sendable, Hashable {
    /// One intermediate report, written as `[step, value]`.
    package struct Report: Codable, Sendable, Hashable {
        package var step: Int
        package var value: Double

        package init(step: Int, value: Double) { self.step = step; self.value = value }

        package init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            step = try container.decode(Int.self)
            value = try container.decode(Double.self)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(step)
            try container.encode(value)
        }
    }

    package var id: Int64
    package var state: TrialState
    package var params: Configuration
    /// The value when it is finite; nil (null) otherwise.
    package var value: Double?
    package var step: Int?
    package var attempt: Int
    package var worker: String?
    package var startedAt: Date?
    package var finishedAt: Date?
    package var reason: String?
    package var stderrTail: String?
    /// The learning curve, finite values only; nil where the key is left out (export).
    package var reports: [Report]?
    /// A running trial's predicted continuation (a study with a fidelity, live coordinator only);
    /// written only where it was filled in.
    package var forecast: [LiveStatus.ForecastPoint]?
    /// The attempts before the trial was run again (`sextant retry`), oldest first; written by
    /// export only.
    package var earlierAttempts: [AttemptEntry]?
    /// Every objective's and constrained value's final value (a study with several objectives or
    /// with constraints); written only there.
    package var values: [String: Double]?
    /// Whether the trial is on the Pareto front (a study with several objectives); written only there.
    package var pareto: Bool?
    /// Whether the trial's values meet every constraint (a study with constraints, completed trials); written only there.
    package var feasible: Bool?

    enum CodingKeys: String, CodingKey {
        case id, state, params, value, step, attempt, worker, reason, reports, forecast, values, pareto, feasible
        case startedAt = "started_at", finishedAt = "finished_at", stderrTail = "stderr_tail"
        case earlierAttempts = "earlier_attempts"
    }

    package init(_ trial: Trial, reports: [Report]? = nil) {
        id = trial.id.rawValue; state = trial.state; params = trial.configuration
        value = StudyDocument.finite(trial.value); step = trial.step; attempt = trial.attempt; worker = trial.worker
        startedAt = trial.startedAt; finishedAt = trial.finishedAt; reason = trial.reason; stderrTail = trial.stderrTail
        self.reports = reports
        values = trial.values.isEmpty ? nil : trial.values
    }

    /// The entries of `trials` with what the study's objectives and constraints make of each:
    /// `pareto` for a study with several objectives, `feasible` for completed trials of one with constraints.
    package static func marked(_ entries: [TrialEntry], trials: [Trial], spec: StudySpec) -> [TrialEntry] {
        guard spec.isMultiObjective || !spec.bounds.isEmpty else { return entries }
        let front = spec.isMultiObjective ? Set(trials.paretoFront(in: spec).map(\.id.rawValue)) : []
        let feasible = Dictionary(uniqueKeysWithValues: trials.map { ($0.id.rawValue, spec.isFeasible($0)) })
        return entries.map { entry in
            var entry = entry
            if spec.isMultiObjective { entry.pareto = front.contains(entry.id) }
            if !spec.bounds.isEmpty, entry.state == .completed { entry.feasible = feasible[entry.id] }
            return entry
        }
    }

    /// Every trial with its finite reports in the order given, as `/api/trials` lists them.
    /// Running trials carry the curve model's `forecasts`, when there are some.
    package static func withReports(_ trials: [Trial], reports: [TrialReport],
                                    forecasts: [Int64: [LiveStatus.ForecastPoint]] = [:]) -> [TrialEntry] {
        var curves: [TrialID: [Report]] = [:]
        for report in reports where report.value.isFinite {
            curves[report.trial, default: []].append(Report(step: report.step, value: report.value))
        }
        return trials.map { trial in
            var entry = TrialEntry(trial, reports: curves[trial.id] ?? [])
            if trial.state == .running { entry.forecast = forecasts[trial.id.rawValue] }
            return entry
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        state = try container.decode(TrialState.self, forKey: .state)
        params = try container.decode(Configuration.self, forKey: .params)
        value = try container.decodeIfPresent(Double.self, forKey: .value)
        step = try container.decodeIfPresent(Int.self, forKey: .step)
        attempt = try container.decode(Int.self, forKey: .attempt)
        worker = try container.decodeIfPresent(String.self, forKey: .worker)
        startedAt = try container.decodeIfPresent(Date.self, forKey: .startedAt)
        finishedAt = try container.decodeIfPresent(Date.self, forKey: .finishedAt)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        stderrTail = try container.decodeIfPresent(String.self, forKey: .stderrTail)
        reports = try container.decodeIfPresent([Report].self, forKey: .reports)
        forecast = try container.decodeIfPresent([LiveStatus.ForecastPoint].self, forKey: .forecast)
        earlierAttempts = try container.decodeIfPresent([AttemptEntry].self, forKey: .earlierAttempts)
        values = try container.decodeIfPresent([String: Double].self, forKey: .values)
        pareto = try container.decodeIfPresent(Bool.self, forKey: .pareto)
        feasible = try container.decodeIfPresent(Bool.self, forKey: .feasible)
    }

    /// The trial this entry describes (without its reports).
    package var trial: Trial {
        Trial(id: TrialID(id), state: state, configuration: params, value: value, step: step, attempt: attempt,
              worker: worker, startedAt: startedAt, finishedAt: finishedAt, reason: reason, stderrTail: stderrTail,
              values: values ?? [:])
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(params, forKey: .params)
        try container.encode(value, forKey: .value)
        try container.encode(step, forKey: .step)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(worker, forKey: .worker)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(reason, forKey: .reason)
        try container.encode(stderrTail, forKey: .stderrTail)
        try container.encodeIfPresent(reports, forKey: .reports)
        try container.encodeIfPresent(forecast, forKey: .forecast)
        try container.encodeIfPresent(earlierAttempts, forKey: .earlierAttempts)
        try container.encodeIfPresent(values, forKey: .values)
        try container.encodeIfPresent(pareto, forKey: .pareto)
        try container.encodeIfPresent(feasible, forKey: .feasible)
    }
}

/// An earlier attempt of a trial as export shows it: how it ended, where and when.
package struct AttemptEntry: Codable, Sendable, Hashable {
    package var attempt: Int
    package var state: TrialState
    package var value: Double?
    package var step: Int?
    package var worker: String?
    package var startedAt: Date?
    package var finishedAt: Date?
    package var reason: String?
    package var stderrTail: String?
    /// Every value it reported at the end; nil (left out) for a study that reads only its metric.
    package var values: [String: Double]?
    package var reports: [TrialEntry.Report]

    enum CodingKeys: String, CodingKey {
        case attempt, state, value, step, worker, reason, reports, values
        case startedAt = "started_at", finishedAt = "finished_at", stderrTail = "stderr_tail"
    }

    package init(_ attempt: TrialAttempt) {
        self.attempt = attempt.attempt; state = attempt.state; value = StudyDocument.finite(attempt.value)
        step = attempt.step; worker = attempt.worker; startedAt = attempt.startedAt; finishedAt = attempt.finishedAt
        reason = attempt.reason; stderrTail = attempt.stderrTail
        values = attempt.values.isEmpty ? nil : attempt.values
        reports = attempt.reports.map { TrialEntry.Report(step: $0.step, value: $0.value) }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(state, forKey: .state)
        try container.encode(value, forKey: .value)
        try container.encode(step, forKey: .step)
        try container.encode(worker, forKey: .worker)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(reason, forKey: .reason)
        try container.encode(stderrTail, forKey: .stderrTail)
        try container.encodeIfPresent(values, forKey: .values)
        try container.encode(reports, forKey: .reports)
    }
}
