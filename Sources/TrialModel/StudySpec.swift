/// Whether smaller or larger metric values are better.
package enum Goal: String, Sendable, Codable, CaseIterable {
    case minimize, maximize

    /// Whether `a` is strictly better than `b`.
    package func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }
}

/// The search algorithm that proposes trials.
package enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case gpEI = "gp-ei"
    case random
    case grid
}

/// The rule that stops unpromising trials early.
package enum PrunerKind: String, Sendable, Codable, CaseIterable {
    case none, median, asha
}

/// A study: what to tune, how, and for how long. Loaded from a study file.
package struct StudySpec: Sendable, Hashable, Codable {
    package struct Metric: Sendable, Hashable, Codable {
        package var name: String
        package var goal: Goal
        /// The worst value that still counts toward the hypervolume of a multi-objective study
        /// (its reference point); nil: the worst value among the completed trials.
        package var reference: Double?
        package init(name: String, goal: Goal, reference: Double? = nil) {
            self.name = name; self.goal = goal; self.reference = reference
        }
    }

    /// A bound on a value every trial reports: a trial outside it is infeasible. It still counts
    /// toward the budget, and the model learns from it where the bound lies.
    package struct Constraint: Sendable, Hashable, Codable {
        package var name: String
        /// The largest feasible value, if any.
        package var max: Double?
        /// The smallest feasible value, if any.
        package var min: Double?
        package init(name: String, max: Double? = nil, min: Double? = nil) {
            self.name = name; self.max = max; self.min = min
        }

        /// Whether `value` lies within the bound (NaN never does).
        package func admits(_ value: Double) -> Bool {
            guard !value.isNaN else { return false }
            if let max, value > max { return false }
            if let min, value < min { return false }
            return true
        }

        /// The bound as text, e.g. `latency_ms ≤ 20`.
        package var description: String {
            switch (min, max) {
            case let (low?, high?): "\(TrialFormatting.format(low)) ≤ \(name) ≤ \(TrialFormatting.format(high))"
            case let (nil, high?): "\(name) ≤ \(TrialFormatting.format(high))"
            case let (low?, nil): "\(name) ≥ \(TrialFormatting.format(low))"
            case (nil, nil): name
            }
        }
    }

    package struct Budget: Sendable, Hashable, Codable {
        /// Trials to finish (completed, failed or pruned).
        package var trials: Int
        /// Wall-clock limit for the whole study, if any.
        package var maxSeconds: Double?
        /// Failed trials after which the study stops, if any.
        package var maxFailures: Int?
        package init(trials: Int, maxSeconds: Double? = nil, maxFailures: Int? = nil) {
            self.trials = trials; self.maxSeconds = maxSeconds; self.maxFailures = maxFailures
        }
    }

    package struct Optimizer: Sendable, Hashable, Codable {
        package var kind: OptimizerKind
        /// Quasi-random trials before the model takes over (gp-ei). Default 8.
        package var initialTrials: Int
        package var seed: UInt64
        /// Values per float parameter in a grid search. Default 5.
        package var gridPoints: Int
        /// With constraints, once a trial is feasible, suggestions the models give less than this
        /// probability of feasibility are avoided (gp-ei); nil: the default, 0.9 (docs/optimizer.md).
        package var feasibilityMargin: Double?
        package init(kind: OptimizerKind = .gpEI, initialTrials: Int = 8, seed: UInt64 = 0, gridPoints: Int = 5) {
            self.kind = kind; self.initialTrials = initialTrials; self.seed = seed; self.gridPoints = gridPoints
        }
    }

    package struct Pruner: Sendable, Hashable, Codable {
        package var kind: PrunerKind
        /// ASHA: the first rung's step. Default 1.
        package var minSteps: Int
        /// ASHA: η, rungs at min_steps·η^k, the best 1/η continue. Default 3.
        package var reductionFactor: Int
        /// Median: other trials that must have reported at a step before it prunes there. Default 5.
        package var startupTrials: Int
        /// Median: no pruning at steps up to this one. Default 0.
        package var warmupSteps: Int
        package init(kind: PrunerKind = .none, minSteps: Int = 1, reductionFactor: Int = 3, startupTrials: Int = 5,
                    warmupSteps: Int = 0) {
            self.kind = kind; self.minSteps = minSteps; self.reductionFactor = reductionFactor
            self.startupTrials = startupTrials; self.warmupSteps = warmupSteps
        }
    }

    /// The steps a trial reports (epochs, say) as the fidelity of a multi-fidelity study: every
    /// reported point feeds a model over configuration and step, which chooses new trials at
    /// `maxSteps` and stops running ones whose predicted final value is unlikely to beat the best.
    package struct Fidelity: Sendable, Hashable, Codable {
        /// The step at which a trial is complete; the command gets it as `{max_steps}`.
        package var maxSteps: Int
        /// No trial is stopped by the model before this step. Default 1.
        package var minSteps: Int
        /// A running trial stops when the model gives its final value less than this probability
        /// of beating the best completed value; 0 turns model-based stopping off. Default 0.3 (docs/benchmarks.md, "Multi-fidelity").
        package var stopProbability: Double
        /// ... and only when the trial's own reports have cut that probability below this fraction
        /// of the one the model gave it before them, so a trial is stopped for what its curve
        /// showed, not for what was expected of it when it started (unless its chance is below
        /// `hopeless`). 0: no such condition.
        /// Default 0.5 (docs/benchmarks.md, "Multi-fidelity").
        package var stopRatio: Double
        package init(maxSteps: Int, minSteps: Int = 1, stopProbability: Double = 0.3, stopRatio: Double = 0.5) {
            self.maxSteps = maxSteps; self.minSteps = minSteps; self.stopProbability = stopProbability
            self.stopRatio = stopRatio
        }

        private enum CodingKeys: String, CodingKey { case maxSteps, minSteps, stopProbability, stopRatio }

        /// A study stored before `stopRatio` existed reads as one without the condition.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            maxSteps = try container.decode(Int.self, forKey: .maxSteps)
            minSteps = try container.decode(Int.self, forKey: .minSteps)
            stopProbability = try container.decode(Double.self, forKey: .stopProbability)
            stopRatio = try container.decodeIfPresent(Double.self, forKey: .stopRatio) ?? 0
        }

        /// Whether a trial that reported `step` stops when the model gives it `probability` of
        /// beating the best completed value, and gave it `priorProbability` before its reports
        /// (nil when unknown, as for a trial that ran through a coordinator restart).
        package func stops(atStep step: Int, probability: Double, priorProbability: Double? = nil) -> Bool {
            guard stopProbability > 0 && step >= minSteps && step < maxSteps && probability < stopProbability else { return false }
            guard stopRatio > 0, let priorProbability, probability >= Self.hopeless else { return true }
            return probability < stopRatio * priorProbability
        }

        /// A trial with less chance than this stops (from `minSteps` on) whatever was expected of it.
        package static let hopeless = 0.001

        /// Parameter names that would decide how long a trial trains, which the fidelity decides.
        package static let lengthParameterNames: Set<String> = [
            "epochs", "epoch", "num_epochs", "n_epochs", "max_epochs", "steps", "num_steps", "n_steps", "max_steps",
            "iterations", "num_iterations", "n_iterations", "max_iter", "max_iterations", "n_estimators", "num_boost_round",
        ]
    }

    package var name: String
    /// The metric whose per-step reports the pruner (or the curve model) reads, and whose last
    /// report is a trial's `value`: the study's only objective, or with several (`metrics`) the
    /// pruner's metric, else the first objective.
    package var metric: Metric
    /// The objectives of a multi-objective study, in the file's order; nil for a study with one.
    package var metrics: [Metric]?
    /// Bounds on reported values (`constraints:` in the file); nil when there are none.
    package var constraints: [Constraint]?
    package var budget: Budget
    package var optimizer: Optimizer
    package var pruner: Pruner
    /// Seconds a trial may run before the worker stops it. Default 900.
    package var trialTimeoutSeconds: Double
    /// Times a trial is handed to another worker after its worker was lost, before it fails. Default 3.
    package var maxRetries: Int = 3
    package var space: SearchSpace
    /// Configurations (full or partial, already checked against `space`) to run first, in
    /// order, each once per study; nil when the file lists none. Missing values come from the sampler.
    package var initialConfigurations: [Configuration]?
    /// The fidelity of a multi-fidelity study; nil when trials are only judged by their final value.
    package var fidelity: Fidelity?

    package init(
        name: String, metric: Metric, budget: Budget, optimizer: Optimizer = .init(),
        pruner: Pruner = .init(), trialTimeoutSeconds: Double = 900, space: SearchSpace
    ) {
        self.name = name; self.metric = metric; self.budget = budget; self.optimizer = optimizer
        self.pruner = pruner; self.trialTimeoutSeconds = trialTimeoutSeconds; self.space = space
    }

    /// Every objective: `metrics`, or the one `metric`.
    package var objectives: [Metric] { metrics ?? [metric] }
    /// Whether the study has several objectives (a Pareto front rather than one best trial).
    package var isMultiObjective: Bool { objectives.count > 1 }
    /// The bounds on reported values (empty when there are none).
    package var bounds: [Constraint] { constraints ?? [] }
    /// Every value a trial's command must report by its end, objectives first, each once; empty
    /// for a study that reads only `metric` (it needs no more than the reports).
    package var reportedNames: [String] {
        guard isMultiObjective || !bounds.isEmpty else { return [] }
        var names: [String] = []
        for name in objectives.map(\.name) + bounds.map(\.name) where !names.contains(name) { names.append(name) }
        return names
    }

    /// A trial's final value of `name`: from its reported values, or its `value` for `metric`.
    package func value(_ name: String, of trial: Trial) -> Double? {
        trial.values[name] ?? (name == metric.name ? trial.value : nil)
    }

    /// A completed trial's objective values, each negated when maximized so that smaller is
    /// better for all; nil when one is missing or not finite.
    package func minimizedObjectives(of trial: Trial) -> [Double]? {
        var result: [Double] = []
        for objective in objectives {
            guard let value = value(objective.name, of: trial), value.isFinite else { return nil }
            result.append(objective.goal == .maximize ? -value : value)
        }
        return result
    }

    /// What picks a study's best trial: the first objective's value of a completed trial that
    /// meets every constraint (with one metric and no constraints, its finite `value`); nil for any other.
    package func rankedValue(of trial: Trial) -> Double? {
        guard trial.state == .completed else { return nil }
        guard isMultiObjective || !bounds.isEmpty || objectives[0].name != metric.name else {
            return trial.value.flatMap { $0.isFinite ? $0 : nil }
        }
        guard isFeasible(trial), let value = value(objectives[0].name, of: trial), value.isFinite else { return nil }
        return value
    }

    /// Whether a trial's reported values lie within every constraint (a missing value does not).
    package func isFeasible(_ trial: Trial) -> Bool {
        bounds.allSatisfy { bound in value(bound.name, of: trial).map(bound.admits) ?? false }
    }
}
