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
        package init(name: String, goal: Goal) { self.name = name; self.goal = goal }
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
        /// of beating the best completed value; 0 turns model-based stopping off. Default 0.15 (docs/benchmarks.md, "Multi-fidelity").
        package var stopProbability: Double
        package init(maxSteps: Int, minSteps: Int = 1, stopProbability: Double = 0.15) {
            self.maxSteps = maxSteps; self.minSteps = minSteps; self.stopProbability = stopProbability
        }

        /// Whether a trial that reported `step` stops when the model gives it `probability` of
        /// beating the best completed value.
        package func stops(atStep step: Int, probability: Double) -> Bool {
            stopProbability > 0 && step >= minSteps && step < maxSteps && probability < stopProbability
        }

        /// Parameter names that would decide how long a trial trains, which the fidelity decides.
        package static let lengthParameterNames: Set<String> = [
            "epochs", "epoch", "num_epochs", "n_epochs", "max_epochs", "steps", "num_steps", "n_steps", "max_steps",
            "iterations", "num_iterations", "n_iterations", "max_iter", "max_iterations", "n_estimators", "num_boost_round",
        ]
    }

    package var name: String
    package var metric: Metric
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
}
