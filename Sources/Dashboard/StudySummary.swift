package import Foundation
package import TrialModel

/// A study in brief: the `study` object of `sextant export --format json` and
/// `status --json`, and the first fields of `/api/study`.
package struct StudySummary: Codable, Sendable, Hashable {
    /// The budget; a limit the study file does not set is left out.
    package struct Budget: Codable, Sendable, Hashable {
        package var trials: Int
        package var maxSeconds: Double?
        package var maxFailures: Int?

        enum CodingKeys: String, CodingKey {
            case trials, maxSeconds = "max_seconds", maxFailures = "max_failures"
        }

        package init(_ budget: StudySpec.Budget) {
            trials = budget.trials; maxSeconds = budget.maxSeconds; maxFailures = budget.maxFailures
        }
    }

    package var name: String
    /// `running`, `finished` or `stopped`.
    package var state: String
    /// The metric's name.
    package var metric: String
    package var goal: Goal
    package var budget: Budget
    package var optimizer: OptimizerKind
    package var pruner: PrunerKind
    /// Parameter names in the study file's order.
    package var parameters: [String]
    package var createdAt: Date
    /// Trials by state, every state present.
    package var counts: [String: Int]
    /// The best completed (feasible) trial's id, by the first objective; nil (null) before one completes.
    package var bestTrial: Int64?
    /// Every objective, `{name, goal}` (and `reference` where the file gives one); written only for a
    /// study with several.
    package var objectives: [StudySpec.Metric]?
    /// The study's constraints, `{name, max, min}`; written only when it has some.
    package var constraints: [StudySpec.Constraint]?
    /// The ids of the trials on the Pareto front, best first by the first objective; written only
    /// for a study with several objectives.
    package var paretoFront: [Int64]?
    /// The front's hypervolume against `reference` (objectives minimized: a maximized one negated);
    /// written only for a study with several objectives, once a trial is on the front.
    package var hypervolume: Double?
    package var reference: [Double]?
    /// `[trial id, hypervolume]` after each finished trial, worked out with `hypervolume` for
    /// `StudyOverview` (not written here).
    package var hypervolumeHistory: [[Double]] = []

    enum CodingKeys: String, CodingKey {
        case name, state, metric, goal, budget, optimizer, pruner, parameters, counts, objectives, constraints
        case hypervolume, reference
        case createdAt = "created_at", bestTrial = "best_trial", paretoFront = "pareto_front"
    }

    package init(spec: StudySpec, state: String, createdAt: Date, trials: [Trial]) {
        name = spec.name; self.state = state; metric = spec.metric.name; goal = spec.metric.goal
        budget = Budget(spec.budget); optimizer = spec.optimizer.kind; pruner = spec.pruner.kind
        parameters = spec.space.parameters.map(\.name); self.createdAt = createdAt
        var counts: [String: Int] = [:]
        for state in TrialState.allCases { counts[state.rawValue] = trials.count { $0.state == state } }
        self.counts = counts
        bestTrial = trials.best(in: spec)?.id.rawValue
        constraints = spec.constraints
        if spec.isMultiObjective {
            objectives = spec.objectives
            paretoFront = trials.paretoFront(in: spec).map(\.id.rawValue)
            if let reference = spec.hypervolumeReference(trials) {
                self.reference = reference
                hypervolumeHistory = trials.hypervolumeHistory(in: spec, reference: reference).map {
                    [Double($0.trial.id.rawValue), $0.hypervolume]
                }
                hypervolume = hypervolumeHistory.last?[1]
            }
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(metric, forKey: .metric)
        try container.encode(goal, forKey: .goal)
        try container.encode(budget, forKey: .budget)
        try container.encode(optimizer, forKey: .optimizer)
        try container.encode(pruner, forKey: .pruner)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(counts, forKey: .counts)
        try container.encode(bestTrial, forKey: .bestTrial)
        try container.encodeIfPresent(objectives, forKey: .objectives)
        try container.encodeIfPresent(constraints, forKey: .constraints)
        try container.encodeIfPresent(paretoFront, forKey: .paretoFront)
        try container.encodeIfPresent(hypervolume, forKey: .hypervolume)
        try container.encodeIfPresent(reference, forKey: .reference)
    }
}
