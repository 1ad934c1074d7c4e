/// Whether smaller or larger metric values are better.
public enum Goal: String, Sendable, Codable, CaseIterable {
    case minimize, maximize

    /// Whether `a` is strictly better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }
}

/// The search algorithm that proposes trials.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case gpEI = "gp-ei"
    case random
    case grid
}

/// The rule that stops unpromising trials early.
public enum PrunerKind: String, Sendable, Codable, CaseIterable {
    case none, median, asha
}

/// A study: what to tune, how, and for how long. Loaded from a study file.
public struct StudySpec: Sendable, Hashable, Codable {
    public struct Metric: Sendable, Hashable, Codable {
        public var name: String
        public var goal: Goal
        public init(name: String, goal: Goal) { self.name = name; self.goal = goal }
    }

    public struct Budget: Sendable, Hashable, Codable {
        /// Trials to finish (completed, failed or pruned).
        public var trials: Int
        /// Wall-clock limit for the whole study, if any.
        public var maxSeconds: Double?
        /// Failed trials after which the study stops, if any.
        public var maxFailures: Int?
        public init(trials: Int, maxSeconds: Double? = nil, maxFailures: Int? = nil) {
            self.trials = trials; self.maxSeconds = maxSeconds; self.maxFailures = maxFailures
        }
    }

    public struct Optimizer: Sendable, Hashable, Codable {
        public var kind: OptimizerKind
        /// Quasi-random trials before the model takes over (gp-ei). Default 8.
        public var initialTrials: Int
        public var seed: UInt64
        /// Values per float parameter in a grid search. Default 5.
        public var gridPoints: Int
        public init(kind: OptimizerKind = .gpEI, initialTrials: Int = 8, seed: UInt64 = 0, gridPoints: Int = 5) {
            self.kind = kind; self.initialTrials = initialTrials; self.seed = seed; self.gridPoints = gridPoints
        }
    }

    public struct Pruner: Sendable, Hashable, Codable {
        public var kind: PrunerKind
        /// ASHA: the first rung's step. Default 1.
        public var minSteps: Int
        /// ASHA: η, rungs at min_steps·η^k, the best 1/η continue. Default 3.
        public var reductionFactor: Int
        /// Median: other trials that must have reported at a step before it prunes there. Default 5.
        public var startupTrials: Int
        /// Median: no pruning at steps up to this one. Default 0.
        public var warmupSteps: Int
        public init(kind: PrunerKind = .none, minSteps: Int = 1, reductionFactor: Int = 3, startupTrials: Int = 5,
                    warmupSteps: Int = 0) {
            self.kind = kind; self.minSteps = minSteps; self.reductionFactor = reductionFactor
            self.startupTrials = startupTrials; self.warmupSteps = warmupSteps
        }
    }

    public var name: String
    public var metric: Metric
    public var budget: Budget
    public var optimizer: Optimizer
    public var pruner: Pruner
    /// Seconds a trial may run before the worker stops it. Default 900.
    public var trialTimeoutSeconds: Double
    /// Times a trial is handed to another worker after its worker was lost, before it fails. Default 3.
    public var maxRetries: Int = 3
    public var space: SearchSpace

    public init(
        name: String, metric: Metric, budget: Budget, optimizer: Optimizer = .init(),
        pruner: Pruner = .init(), trialTimeoutSeconds: Double = 900, space: SearchSpace
    ) {
        self.name = name; self.metric = metric; self.budget = budget; self.optimizer = optimizer
        self.pruner = pruner; self.trialTimeoutSeconds = trialTimeoutSeconds; self.space = space
    }
}
