import Foundation
import GaussianProcess
import SeededRandom
import Synchronization
import TrialModel

/// The models of a study with several objectives or with constraints: one GP per objective (fit
/// as GP-EI fits its one) and one per constrained value (fit on the raw values with a centered
/// prior mean), each keeping its last fit to warm-start the next.
final class OutcomeFitters: Sendable {
    private let objectives = Mutex<[String: ModelFitter]>([:])
    private let constraints = Mutex<[String: ModelFitter]>([:])
    /// Fits a study's one objective (with constraints) as GP-EI fits it.
    let objectiveOptimizer: BayesianOptimizer
    /// Fits each of several objectives (`halfRankWarpingPerObjective`).
    let severalObjectivesOptimizer: BayesianOptimizer
    let constraintOptimizer: BayesianOptimizer
    let seed: UInt64

    init(optimizer: BayesianOptimizer, seed: UInt64) {
        objectiveOptimizer = optimizer
        var several = optimizer.configuration
        several.halfRankWarping = several.halfRankWarpingPerObjective
        severalObjectivesOptimizer = BayesianOptimizer(configuration: several)
        var centered = optimizer.configuration
        // A constraint's bound is a number in its own units: its values are not warped, and the prior
        // is neither hopeful nor pessimistic about feasibility far from the data.
        centered.priorMeanOffset = 0
        centered.halfRankWarping = false
        centered.outlierGap = .infinity
        constraintOptimizer = BayesianOptimizer(configuration: centered)
        self.seed = seed
    }

    /// The optimizer for an objective of a study with `count` of them.
    func objectiveOptimizer(count: Int) -> BayesianOptimizer { count > 1 ? severalObjectivesOptimizer : objectiveOptimizer }

    func objective(_ name: String, count: Int) -> ModelFitter {
        objectives.withLock { fitters in
            if let fitter = fitters[name] { return fitter }
            let fitter = ModelFitter(optimizer: objectiveOptimizer(count: count), seed: seed &+ UInt64(fitters.count + 1) &* 0x51ED)
            fitters[name] = fitter
            return fitter
        }
    }

    func constraint(_ name: String) -> ModelFitter {
        constraints.withLock { fitters in
            if let fitter = fitters[name] { return fitter }
            let fitter = ModelFitter(optimizer: constraintOptimizer, seed: seed &+ UInt64(fitters.count + 1) &* 0xC0457)
            fitters[name] = fitter
            return fitter
        }
    }
}

extension GPEISampler {
    /// A study with several objectives or with constraints: a GP per objective and per constrained
    /// value, and the point that maximizes log expected hypervolume improvement times the
    /// probability of feasibility (`LogEHVIAcquisition`; with one objective, expected improvement
    /// over the best feasible value).
    ///
    /// - Observations: completed trials with every value. Pruned trials (no final values), failed,
    ///   running and pending ones are pending points: each model is conditioned on its own mean
    ///   there (kriging believer), and a pending point believed feasible joins the front, so
    ///   concurrent suggestions spread along it instead of piling onto one spot.
    /// - The front and the hypervolume the acquisition measures are in the models' units (with
    ///   several objectives, without the half-rank warping: `halfRankWarpingPerObjective`), against
    ///   a reference point 10% of the range beyond the worst value seen of each objective.
    /// - Every completed trial is an observation: unlike GP-EI with one metric, there is no subset
    ///   beyond `maxObservations`, so a study of thousands of trials fits each model on all of them.
    /// - A suggestion that rounds to a configuration already tried is added to the pending points
    ///   and the search runs again (`duplicateRetries`) before falling back to a quasi-random one.
    func suggestWithOutcomes(_ history: StudyHistory) throws -> Configuration? {
        let spec = history.spec
        let space = spec.space
        let objectives = spec.objectives, bounds = spec.bounds
        var observations: [[Double]] = [], pending: [[Double]] = []
        var objectiveValues = [[Double]](repeating: [], count: objectives.count)
        var boundValues = [[Double]](repeating: [], count: bounds.count)
        for trial in history.warmStart + history.trials {
            let point = optimizer.point(of: trial.configuration, in: space)
            guard trial.state == .completed, let minimized = spec.minimizedObjectives(of: trial),
                  let constrained = Self.values(bounds.map(\.name), of: trial, in: spec) else {
                if trial.state != .completed { pending.append(point) }
                continue
            }
            observations.append(point)
            for k in objectives.indices { objectiveValues[k].append(minimized[k]) }
            for j in bounds.indices { boundValues[j].append(constrained[j]) }
        }
        let fallback = RandomSampler(seed: seed)
        if history.trials.count + history.warmStart.count < initialTrials || observations.count < 2 {
            return fallback.suggestNow(history)
        }
        let dimensions = Self.dimensions(of: space)
        let callSeed = seed &+ UInt64(history.trials.count) &* 0x9E37_79B9_7F4A_7C15
        let warping = outcomeFitters.objectiveOptimizer(count: objectives.count)
        var warped = objectiveValues.map { warping.modelValues($0) }
        var modelled = objectives.map(\.name)
        if optimizer.configuration.randomScalarization, objectives.count > 1 {
            // ParEGO: one GP on a random augmented Chebyshev scalarization, new weights each call.
            warped = [Self.chebyshev(warped, seed: callSeed)]
            modelled = ["scalarized"]
        }
        var objectiveModels: [GaussianProcessModel] = []
        for (k, name) in modelled.enumerated() {
            objectiveModels.append(try outcomeFitters.objective(name, count: objectives.count)
                .fitted(observations: observations, values: warped[k], dimensions: dimensions))
        }
        // Each constraint's model sees its values through `ConstraintWarp` (its bound moved to 0).
        let warps = bounds.indices.map { j in
            optimizer.configuration.constraintWarping ? ConstraintWarp(bounds[j], values: boundValues[j]) : ConstraintWarp.identity(bounds[j])
        }
        var boundModels: [GaussianProcessModel] = []
        for (j, bound) in bounds.enumerated() {
            boundModels.append(try outcomeFitters.constraint(bound.name)
                .fitted(observations: observations, values: boundValues[j].map(warps[j].forward), dimensions: dimensions))
        }
        let modelBounds = warps.map(\.bound)
        let rule = SearchSpace.ActivityRule(space)
        let activity: (@Sendable ([Double]) -> [Bool])? = space.isConditional ? { @Sendable point in rule.activity(of: point) } : nil
        let mask = AcquisitionOptimizer.Mask(activity, fill: optimizer.configuration.inactiveFill)
        let feasible = observations.indices.filter { i in bounds.indices.allSatisfy { bounds[$0].admits(boundValues[$0][i]) } }
        // The reference point: 10% of each objective's range beyond its worst value.
        let reference = warped.map { values -> Double in
            let low = values.min()!, high = values.max()!
            return high + 0.1 * max(high - low, 1e-9)
        }
        // Extra candidates are drawn around trials on the front.
        let observedFront = feasible.map { i in warped.map { $0[i] } }
        let anchors = Pareto.front(observedFront).prefix(optimizer.configuration.anchors).map { observations[feasible[$0]] }
        return try untried(history, pending: pending, search: { pending in
            let snapped = pending.map { zip($0, dimensions).map { $0.isNaN ? .nan : $1.snap($0) } }
            let believedObjectives = try objectiveModels.map { try $0.conditionedOnFantasies(snapped) }
            let believedBounds = try boundModels.map { try $0.conditionedOnFantasies(snapped) }
            // Pending points believed feasible join the front at their believed values.
            var front = observedFront
            let pendingMeans = objectiveModels.map { $0.predictMean(snapped) }, pendingBounds = boundModels.map { $0.predictMean(snapped) }
            for p in snapped.indices where zip(modelBounds, pendingBounds).allSatisfy({ $0.admits($1[p]) }) {
                front.append(pendingMeans.map { $0[p] })
            }
            let region = front.isEmpty ? nil : NondominatedRegion(reference: reference, points: Pareto.front(front).map { front[$0] })
            let acquisition = LogEHVIAcquisition(
                objectives: believedObjectives, region: region,
                bounds: zip(modelBounds, believedBounds).map { LogEHVIAcquisition.Bound(model: $1, lower: $0.min, upper: $0.max) },
                minimumFeasibility: optimizer.configuration.minimumFeasibility)
            return try AcquisitionOptimizer(configuration: optimizer.configuration.acquisition).maximize(
                acquisition, dimensions: dimensions, excluded: observations + pending, seed: callSeed,
                anchors: anchors, keepAway: pending,
                radii: objectiveModels[0].hyperparameters.lengthscales.map { optimizer.configuration.pendingRadius * $0 },
                mask: mask).point
        }, decode: { space.decode($0) }, pendingPoint: { optimizer.point(of: $0, in: space) })
    }

    /// A monotone map of a constrained value that puts its bound at 0 and compresses values far from
    /// it: t(c) = sign(c − b) · log(1 + |c − b|/s), s the median distance of the observed values from
    /// the bound b. The model then spends its resolution near the bound, where feasibility is
    /// decided, instead of on how far out the clearly infeasible values lie. A constraint with two
    /// bounds is left as it is.
    struct ConstraintWarp {
        /// The bound in the warped units.
        var bound: StudySpec.Constraint
        var threshold = 0.0
        var scale = 1.0
        var active = false

        static func identity(_ constraint: StudySpec.Constraint) -> ConstraintWarp { ConstraintWarp(bound: constraint) }

        init(bound: StudySpec.Constraint) { self.bound = bound }

        init(_ constraint: StudySpec.Constraint, values: [Double]) {
            bound = constraint
            guard let threshold = constraint.max ?? constraint.min, (constraint.max == nil) != (constraint.min == nil) else { return }
            let distances = values.map { abs($0 - threshold) }.sorted()
            let median = distances.isEmpty ? 0 : distances[distances.count / 2]
            self.threshold = threshold
            scale = median > 0 ? median : 1
            active = true
            bound = StudySpec.Constraint(name: constraint.name, max: constraint.max.map { _ in 0 }, min: constraint.min.map { _ in 0 })
        }

        func forward(_ value: Double) -> Double {
            guard active else { return value }
            let distance = value - threshold
            return (distance < 0 ? -1 : 1) * log1p(abs(distance) / scale)
        }
    }

    /// ParEGO's scalarization (Knowles 2006): each objective scaled to [0, 1] over the observations,
    /// weights λ drawn uniformly from the simplex, s = max_k λ_k f_k + 0.05 Σ_k λ_k f_k.
    static func chebyshev(_ objectives: [[Double]], seed: UInt64) -> [Double] {
        var random = Xoshiro256StarStar(seed: seed).derived(stream: 0xC4EB)
        let exponential = objectives.map { _ in -log(max(random.nextUnitDouble(), 1e-300)) }
        let weights = exponential.map { $0 / exponential.reduce(0, +) }
        let scaled = objectives.map { values -> [Double] in
            let low = values.min()!, high = values.max()!
            return values.map { high > low ? ($0 - low) / (high - low) : 0 }
        }
        return scaled[0].indices.map { i in
            let terms = scaled.indices.map { weights[$0] * scaled[$0][i] }
            return terms.max()! + 0.05 * terms.reduce(0, +)
        }
    }

    /// The trial's values of `names`, each finite, or nil when one is missing.
    static func values(_ names: [String], of trial: Trial, in spec: StudySpec) -> [Double]? {
        var result: [Double] = []
        for name in names {
            guard let value = spec.value(name, of: trial), value.isFinite else { return nil }
            result.append(value)
        }
        return result
    }
}
