package import TrialModel
import Foundation
import GaussianProcess

/// Bayesian optimization: a Gaussian process with expected improvement (LogEI).
///
/// - The first `initialTrials` trials follow the scrambled Sobol sequence (as `random`);
///   warm-start trials (`StudyHistory.warmStart`) count toward them, so with at least
///   `initialTrials` of them the model takes over from the first trial.
/// - Warm-start trials are observations like this study's completed trials, placed before them.
/// - Then: completed trials are observations (values negated when maximizing, so the model
///   always minimizes); pruned trials are observations too, at their last reported value,
///   which is pessimistic for a metric that improves with steps: the model learns that the
///   region looked poor without being told it is as bad as a failure.
/// - The model sees the values through `BayesianOptimizer.modelValues`: by default half-rank
///   warped, and a band of values cut off far above the rest (diverged runs) moved down next to
///   them, so neither can flatten the standardized outputs of all the others. Its prior mean is
///   set on the bad side of the values (`priorMeanOffset`).
/// - Failed trials are not observations (a crash says nothing about the metric) but are
///   treated like running trials: the suggestion stays away from their exact points.
/// - Running and pending trials are handled by the kriging believer, so concurrent
///   suggestions are distinct and spread out.
/// - The GP is rebuilt once per new observation and reused for every suggestion until the
///   next; its hyperparameters are re-optimized (warm-started) on every new result up to 150
///   observations, then each time the data has grown by 5%.
/// - Beyond `maxObservations` results the GP is fit on a subset of that size: the best
///   quarter, and the rest spread evenly over the others in trial order (the latest always
///   in), so a suggestion's cost stops growing with the study (about one Cholesky of
///   1,000 points).
package final class GPEISampler: Sampler {
    package let seed: UInt64
    package let initialTrials: Int
    let optimizer: BayesianOptimizer

    /// Up to this many observations, hyperparameters are re-optimized on every new result; beyond
    /// it, whenever the data grew by `refitGrowth` since the last optimization, and in between the
    /// model is rebuilt on all observations with the hyperparameters kept (one Cholesky).
    package static let refitEveryResultUpTo = ModelFitter.refitEveryResultUpTo
    /// Relative growth of the data that triggers a hyperparameter re-optimization beyond the limit.
    package static let refitGrowth = ModelFitter.refitGrowth

    /// The most observations the GP is fit on (see `subset`).
    package static let maxObservations = 1000

    let fitter: ModelFitter
    /// The models of a study with several objectives or with constraints.
    let outcomeFitters: OutcomeFitters
    /// The learning-curve model of a study with a fidelity (shared with the coordinator's
    /// stopping rule); nil for a study judged on final values only.
    package let curves: CurveModel?

    package init(seed: UInt64, initialTrials: Int, configuration: BayesianOptimizer.Configuration = .init(),
                 curves: CurveModel? = nil) {
        self.seed = seed
        self.initialTrials = initialTrials
        self.optimizer = BayesianOptimizer(configuration: configuration)
        self.fitter = ModelFitter(optimizer: optimizer, seed: seed)
        self.outcomeFitters = OutcomeFitters(optimizer: optimizer, seed: seed)
        self.curves = curves
    }

    package func suggest(_ history: StudyHistory) async throws -> Configuration? {
        try suggestNow(history)
    }

    /// The same as `suggest`, synchronously.
    package func suggestNow(_ history: StudyHistory) throws -> Configuration? {
        if let curves, history.spec.fidelity != nil { return try suggest(history, curves: curves) }
        if history.spec.isMultiObjective || !history.spec.bounds.isEmpty { return try suggestWithOutcomes(history) }
        let spec = history.spec
        let space = spec.space
        var observations: [[Double]] = [], values: [Double] = [], avoid: [[Double]] = []
        for trial in history.warmStart + history.trials {
            let point = optimizer.point(of: trial.configuration, in: space)
            switch trial.state {
            case .completed, .pruned:
                guard let value = trial.value, value.isFinite else { continue }
                observations.append(point)
                values.append(spec.metric.goal == .maximize ? -value : value)
            case .failed, .running, .pending:
                avoid.append(point)
            }
        }
        let fallback = RandomSampler(seed: seed)
        if history.trials.count + history.warmStart.count < initialTrials || observations.count < 2 {
            return fallback.suggestNow(history)
        }
        // On all the values, before any subset: a gap is judged against the whole study.
        values = optimizer.modelValues(values)
        let dimensions = Self.dimensions(of: space)
        let callSeed = seed &+ UInt64(history.trials.count) &* 0x9E37_79B9_7F4A_7C15
        let total = observations.count
        if total > Self.maxObservations {
            let kept = Self.subset(values: values, limit: Self.maxObservations)
            observations = kept.map { observations[$0] }
            values = kept.map { values[$0] }
        }
        let model = try fitted(observations: observations, values: values, dimensions: dimensions, total: total)
        // A conditional space: inactive parameters are NaN coordinates, which the kernel
        // compares as equal to each other and unlike any active value.
        let rule = SearchSpace.ActivityRule(space)
        let activity: (@Sendable ([Double]) -> [Bool])? = space.isConditional ? { @Sendable point in rule.activity(of: point) } : nil
        return try untried(history, pending: avoid, tries: optimizer.configuration.retryDuplicates ? Self.duplicateRetries : 1,
                           search: { pending in
                               try optimizer.suggest(using: model, observations: observations, values: values, pending: pending,
                                                     dimensions: dimensions, seed: callSeed, activity: activity).point
                           },
                           decode: { space.decode($0) }, pendingPoint: { optimizer.point(of: $0, in: space) })
    }

    /// The first configuration `search` (given the pending points) finds that no trial has. Rounding
    /// a continuous coordinate of a wide int can land on a configuration already tried: it joins the
    /// pending points (`pendingPoint`) and the search runs again, up to `tries` times, as expected
    /// improvement is often highest next to the trials; then, or when no distinct candidate is
    /// left, a quasi-random configuration.
    func untried(
        _ history: StudyHistory, pending: [[Double]], tries: Int = duplicateRetries, search: ([[Double]]) throws -> [Double],
        decode: ([Double]) -> Configuration, pendingPoint: (Configuration) -> [Double]
    ) throws -> Configuration? {
        var pending = pending
        for _ in 0..<tries {
            let point: [Double]
            do {
                point = try search(pending)
            } catch AcquisitionError.noDistinctCandidate {
                break
            }
            let configuration = decode(point)
            guard history.trials.contains(where: { $0.configuration == configuration }) else { return configuration }
            pending.append(pendingPoint(configuration))
        }
        return RandomSampler(seed: seed).suggestNow(history)
    }

    /// A study with a fidelity: the learning-curve model, refitted on every reported point, and
    /// LogEI at max_steps. The incumbent is the best predicted final value among the curves;
    /// running, pending and failed trials are pending points at max_steps, their outcomes drawn
    /// jointly (`curveFantasySamples`), so a suggestion stays away from them.
    func suggest(_ history: StudyHistory, curves: CurveModel) throws -> Configuration? {
        let space = history.spec.space
        let fallback = RandomSampler(seed: seed)
        // The model is fitted during the first trials too: it judges their curves.
        let snapshot = try curves.update(history)
        guard history.trials.count + history.warmStart.count >= initialTrials, let snapshot else {
            return fallback.suggestNow(history)
        }
        var observations: [[Double]] = [], values: [Double] = [], pending: [[Double]] = []
        // The step coordinate of the acquisition: max_steps (1), or an earlier step.
        let t = curves.acquisitionStep.map { curves.coordinate(ofStep: $0) } ?? 1
        if t == 1 {
            for trial in history.warmStart where trial.state == .completed {
                guard let value = trial.value, value.isFinite else { continue }
                observations.append(curves.point(of: trial.configuration, in: space) + [1])
                values.append(snapshot.warp.forward(snapshot.sign * value) - snapshot.baseline(1))
            }
        }
        for trial in history.trials {
            let x = curves.point(of: trial.configuration, in: space) + [t]
            if let final = snapshot.finals[trial.id] {
                observations.append(x)
                // The GP models departures from the step baseline: at max_steps, from its last value.
                values.append(t == 1 ? final - snapshot.baseline(1) : snapshot.model.predictMean([x])[0])
            }
            if trial.state == .running || trial.state == .pending || trial.state == .failed { pending.append(x) }
        }
        guard !observations.isEmpty else { return fallback.suggestNow(history) }
        // The step coordinate is held at t: its only level.
        let dimensions = Self.dimensions(of: space) + [.discrete(levels: [t])]
        let callSeed = seed &+ UInt64(history.trials.count) &* 0x9E37_79B9_7F4A_7C15
        let rule = SearchSpace.ActivityRule(space)
        let activity: (@Sendable ([Double]) -> [Bool])? = space.isConditional
            ? { @Sendable point in rule.activity(of: Array(point.dropLast())) + [true] } : nil
        var optimizer = self.optimizer
        optimizer.configuration.fantasySamples = optimizer.configuration.curveFantasySamples
        let cost = try costModel(history, curves: curves, t: t, dimensions: dimensions, seed: callSeed)
        return try untried(history, pending: pending,
                           search: { pending in
                               try optimizer.suggest(using: snapshot.model, observations: observations, values: values,
                                                     pending: pending, dimensions: dimensions, seed: callSeed, activity: activity,
                                                     cost: cost).point
                           },
                           decode: { space.decode(Array($0.dropLast())) }, pendingPoint: { curves.point(of: $0, in: space) + [t] })
    }

    /// With a cost weight: a GP of log seconds per step over the configurations of the trials that
    /// ended (their time over the steps they reported), at the acquisition's step coordinate; nil
    /// without a weight or with fewer than 3 such trials.
    func costModel(_ history: StudyHistory, curves: CurveModel, t: Double, dimensions: [DimensionKind], seed: UInt64) throws
        -> (model: GaussianProcessModel, weight: Double)?
    {
        let weight = optimizer.configuration.costWeight
        guard weight > 0 else { return nil }
        var points: [[Double]] = [], costs: [Double] = []
        for trial in history.trials where trial.state == .completed || trial.state == .pruned {
            guard let start = trial.startedAt, let end = trial.finishedAt, let steps = trial.step, steps > 0,
                  end > start else { continue }
            points.append(curves.point(of: trial.configuration, in: history.spec.space) + [t])
            costs.append(log(end.timeIntervalSince(start) / Double(steps)))
        }
        guard points.count >= 3 else { return nil }
        return (try optimizer.fit(observations: points, values: costs, dimensions: dimensions, seed: seed &+ 77), weight)
    }

    /// Searches after a suggestion that rounded to a configuration already tried, before falling
    /// back to a quasi-random one.
    static let duplicateRetries = 4

    /// The model for these observations (see `ModelFitter.fitted`).
    func fitted(observations: [[Double]], values: [Double], dimensions: [DimensionKind], total: Int? = nil) throws
        -> GaussianProcessModel
    {
        try fitter.fitted(observations: observations, values: values, dimensions: dimensions, total: total)
    }

    /// Indices of `limit` observations to fit on (all when there are no more): the best quarter
    /// by value (the model minimizes), then the others spread evenly in order, the last included.
    static func subset(values: [Double], limit: Int) -> [Int] {
        guard values.count > limit else { return Array(values.indices) }
        let bestCount = limit / 4
        let best = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            .prefix(bestCount)
        let chosen = Set(best)
        let others = values.indices.filter { !chosen.contains($0) }
        let spread = limit - bestCount
        // Evenly strided over `others`, ending on its last element.
        let picked = (0..<spread).map { k in others[(others.count - 1) - (spread - 1 - k) * (others.count - 1) / max(spread - 1, 1)] }
        return Array(chosen.union(picked)).sorted()
    }

    /// Integers with at most this many values are searched level by level; wider ones as continuous, then rounded.
    static let maxDiscreteLevels = 64

    /// How the GP sees each parameter in the unit cube (the encoding of `Parameter.encode`).
    /// A conditional parameter's kind is wrapped in `.conditional`: inactive, its coordinate is NaN.
    static func dimensions(of space: SearchSpace) -> [DimensionKind] {
        space.parameters.map { parameter in
            let kind = baseDimension(of: parameter)
            return parameter.condition == nil ? kind : .conditional(kind)
        }
    }

    static func baseDimension(of parameter: Parameter) -> DimensionKind {
        switch parameter.domain {
        case .float:
            return .continuous
        case .int(let low, let high, _):
            guard high - low + 1 <= maxDiscreteLevels else { return .continuous }
            return .discrete(levels: (low...high).map { parameter.encode(.int($0)) })
        case .categorical(let values):
            return .categorical(count: values.count)
        }
    }
}

extension BayesianOptimizer {
    /// A configuration's point in the unit cube as the GP sees it: `SearchSpace.encode`, with
    /// inactive coordinates at `inactiveFill` when that is a number (NaN: the kernel's own handling).
    func point(of configuration: TrialModel.Configuration, in space: SearchSpace) -> [Double] {
        let x = space.encode(configuration)
        let fill = self.configuration.inactiveFill
        return fill.isNaN ? x : x.map { $0.isNaN ? fill : $0 }
    }
}
