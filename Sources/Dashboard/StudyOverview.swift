package import Foundation
package import TrialModel

/// `/api/study`: the summary's fields plus progress, the best trial, the search space,
/// parameter importance and the coordinator's clock. `coordinator_started_at` and
/// `stopping` are written only while a coordinator runs the study.
package struct StudyOverview: Codable, Sendable {
    /// The best completed trial.
    package struct Best: Codable, Sendable, Hashable {
        package var id: Int64
        /// The value when it is finite; nil (null) otherwise.
        package var value: Double?
        package var params: Configuration

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(value, forKey: .value)
            try container.encode(params, forKey: .params)
        }
    }

    /// One parameter of the search space: `name`, `type`, then `low`, `high` and `log`,
    /// or `choices` for a categorical one.
    package struct SpaceParameter: Codable, Sendable, Hashable {
        package var parameter: Parameter

        enum CodingKeys: String, CodingKey { case name, type, low, high, log, choices }

        package init(_ parameter: Parameter) { self.parameter = parameter }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let name = try container.decode(String.self, forKey: .name)
            let domain: ParameterDomain
            switch try container.decode(String.self, forKey: .type) {
            case "float":
                domain = .float(low: try container.decode(Double.self, forKey: .low),
                                high: try container.decode(Double.self, forKey: .high),
                                log: try container.decode(Bool.self, forKey: .log))
            case "int":
                domain = .int(low: try container.decode(Int.self, forKey: .low),
                              high: try container.decode(Int.self, forKey: .high),
                              log: try container.decode(Bool.self, forKey: .log))
            case "categorical":
                domain = .categorical(try container.decode([ParameterValue].self, forKey: .choices))
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container, debugDescription: "unknown parameter type \(other)")
            }
            parameter = Parameter(name: name, domain: domain)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(parameter.name, forKey: .name)
            switch parameter.domain {
            case .float(let low, let high, let log):
                try container.encode("float", forKey: .type)
                try container.encode(low, forKey: .low)
                try container.encode(high, forKey: .high)
                try container.encode(log, forKey: .log)
            case .int(let low, let high, let log):
                try container.encode("int", forKey: .type)
                try container.encode(low, forKey: .low)
                try container.encode(high, forKey: .high)
                try container.encode(log, forKey: .log)
            case .categorical(let values):
                try container.encode("categorical", forKey: .type)
                try container.encode(values, forKey: .choices)
            }
        }
    }

    /// Written as this object's first fields, not nested.
    package var summary: StudySummary
    /// Trials completed, failed or pruned.
    package var finished: Int
    package var space: [SpaceParameter]
    /// The whole study file as the coordinator read it, for `sextant status --url`; nil
    /// only where a reader dropped it (`status --json`), and then left out.
    package var spec: StudySpec?
    /// Nil (null) until a trial completes.
    package var best: Best?
    /// Parameter name → share of importance; empty below `ParameterImportance.minimumTrials`.
    package var importance: [String: Double]
    /// When the snapshot was taken.
    package var now: Date
    package var coordinatorStartedAt: Date?
    package var stopping: Bool?
    /// Since the coordinator started, or from the first trial's start to the last one's
    /// finish without one; nil (null) when unknown.
    package var elapsedSeconds: Double?
    /// Nil (null) without a coordinator or before a trial finished under it.
    package var etaSeconds: Double?
    /// A study with several objectives: the front's hypervolume after each finished trial, in the
    /// order they finished, as `[trial id, hypervolume]` (against the summary's `reference`);
    /// written only there.
    package var hypervolumeHistory: [[Double]]?

    enum CodingKeys: String, CodingKey {
        case finished, space, spec, best, importance, now, stopping
        case hypervolumeHistory = "hypervolume_history"
        case coordinatorStartedAt = "coordinator_started_at", elapsedSeconds = "elapsed_seconds"
        case etaSeconds = "eta_seconds"
    }

    package init(_ snapshot: DashboardSnapshot) {
        let trials = snapshot.trials
        summary = StudySummary(spec: snapshot.spec, state: snapshot.state, createdAt: snapshot.createdAt, trials: trials)
        finished = trials.count { $0.state.isFinished }
        space = snapshot.spec.space.parameters.map(SpaceParameter.init)
        spec = snapshot.spec
        best = snapshot.best.map { Best(id: $0.id.rawValue, value: StudyDocument.finite($0.value), params: $0.configuration) }
        importance = ParameterImportance.shares(trials: trials, space: snapshot.spec.space)
        if summary.reference != nil {
            hypervolumeHistory = summary.hypervolumeHistory
        }
        now = snapshot.takenAt
        if let live = snapshot.live {
            coordinatorStartedAt = live.startedAt
            stopping = live.stopping
            elapsedSeconds = snapshot.takenAt.timeIntervalSince(live.startedAt)
            etaSeconds = StudyDocument.finite(Progress.secondsLeft(
                trials: trials, budget: snapshot.spec.budget.trials, since: live.startedAt, now: snapshot.takenAt))
        } else {
            elapsedSeconds = StudyDocument.finite(trials.compactMap(\.startedAt).min().map {
                (trials.compactMap(\.finishedAt).max() ?? snapshot.takenAt).timeIntervalSince($0)
            })
        }
    }

    package init(from decoder: any Decoder) throws {
        summary = try StudySummary(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        finished = try container.decode(Int.self, forKey: .finished)
        space = try container.decode([SpaceParameter].self, forKey: .space)
        spec = try container.decodeIfPresent(StudySpec.self, forKey: .spec)
        best = try container.decodeIfPresent(Best.self, forKey: .best)
        importance = try container.decode([String: Double].self, forKey: .importance)
        now = try container.decode(Date.self, forKey: .now)
        coordinatorStartedAt = try container.decodeIfPresent(Date.self, forKey: .coordinatorStartedAt)
        stopping = try container.decodeIfPresent(Bool.self, forKey: .stopping)
        elapsedSeconds = try container.decodeIfPresent(Double.self, forKey: .elapsedSeconds)
        etaSeconds = try container.decodeIfPresent(Double.self, forKey: .etaSeconds)
        hypervolumeHistory = try container.decodeIfPresent([[Double]].self, forKey: .hypervolumeHistory)
    }

    package func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(finished, forKey: .finished)
        try container.encode(space, forKey: .space)
        try container.encodeIfPresent(spec, forKey: .spec)
        try container.encode(best, forKey: .best)
        try container.encode(importance, forKey: .importance)
        try container.encode(now, forKey: .now)
        try container.encodeIfPresent(coordinatorStartedAt, forKey: .coordinatorStartedAt)
        try container.encodeIfPresent(stopping, forKey: .stopping)
        try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try container.encode(etaSeconds, forKey: .etaSeconds)
        try container.encodeIfPresent(hypervolumeHistory, forKey: .hypervolumeHistory)
    }
}
