package import TrialModel

/// What a sampler sees when asked for a trial: the study and every trial so far.
package struct StudyHistory: Sendable {
    package var spec: StudySpec
    /// All trials of the study, including running and pending ones, in id order; empty when
    /// the sampler said it needs only their number (`Sampler.needsTrials`).
    package var trials: [Trial]
    /// How many trials the study has (the length of `trials` when they are given).
    package var trialCount: Int
    /// Completed trials of an earlier study that fit this one's space (`--warm-start`): GP-EI
    /// treats them as observations made before this study's first trial; random and grid search
    /// ignore them. They are no trials of this study: not stored, not counted in its budget.
    package var warmStart: [Trial] = []
    /// Every intermediate value reported so far, by trial and step: given to a study with a
    /// fidelity (whose model learns from whole learning curves), empty otherwise.
    package var reports: [TrialID: [Int: Double]] = [:]
    package init(spec: StudySpec, trials: [Trial]) { self.spec = spec; self.trials = trials; trialCount = trials.count }
    package init(spec: StudySpec, trialCount: Int) { self.spec = spec; self.trials = []; self.trialCount = trialCount }
}

/// Proposes configurations to evaluate.
///
/// Contract: `suggest` is deterministic for the same spec (seed included) and history,
/// so a resumed study continues the same search; it must not return a configuration
/// that is already running or pending. It may be slow (model fitting): callers run it
/// off the actor that handles messages.
package protocol Sampler: Sendable {
    /// The next configuration, or nil when the search space is exhausted.
    func suggest(_ history: StudyHistory) async throws -> Configuration?
    /// Whether `suggest` reads the trials themselves, or only their number. A coordinator with
    /// tens of thousands of trials skips handing them over when they are not read.
    func needsTrials(for spec: StudySpec) -> Bool
    /// True when `suggestNow` answers in microseconds: the coordinator then calls it inline
    /// instead of in a separate task.
    var suggestsInstantly: Bool { get }
    /// `suggest`, synchronously.
    func suggestNow(_ history: StudyHistory) throws -> Configuration?
}

extension Sampler {
    package func needsTrials(for spec: StudySpec) -> Bool { true }
    package var suggestsInstantly: Bool { false }
}

/// The sampler a study file asks for.
package func makeSampler(for spec: StudySpec) throws -> any Sampler {
    switch spec.optimizer.kind {
    case .random: return RandomSampler(seed: spec.optimizer.seed)
    case .grid: return try GridSampler(space: spec.space, points: spec.optimizer.gridPoints, seed: spec.optimizer.seed)
    case .gpEI:
        var configuration = BayesianOptimizer.Configuration()
        if let margin = spec.optimizer.feasibilityMargin { configuration.minimumFeasibility = margin }
        return GPEISampler(seed: spec.optimizer.seed, initialTrials: spec.optimizer.initialTrials, configuration: configuration)
    }
}

/// The sampler a study file asks for, sharing `curves` (the learning-curve model of a study with
/// a fidelity) with whoever stops trials: GP-EI then chooses new trials with it.
package func makeSampler(for spec: StudySpec, curves: CurveModel?) throws -> any Sampler {
    guard let curves, spec.optimizer.kind == .gpEI else { return try makeSampler(for: spec) }
    return GPEISampler(seed: spec.optimizer.seed, initialTrials: spec.optimizer.initialTrials, curves: curves)
}

/// A study that cannot be sampled as configured.
package struct SamplerError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
