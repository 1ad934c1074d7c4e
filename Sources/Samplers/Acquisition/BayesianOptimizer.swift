// Unit-cube Bayesian-optimization step: fit a GP, add pending fantasies, maximize LogEI.
//
// Notation:
//   X: n×d observed points in [0,1]^d,  y: n values to minimize,  P: p×d pending points,
//   f* = min y (incumbent),  θ: GP hyperparameters (fit by MAP, warm-started).
// Pending points are handled by the kriging believer (Ginsbourger, Le Riche & Carraro, "Kriging is
// well-suited to parallelize optimization", 2010): the model is conditioned on (P, μ(P)) with θ fixed,
// which collapses σ near pending points so concurrent suggestions spread out.

import SeededRandom
package import GaussianProcess
import Foundation

/// Outcome of one `BayesianOptimizer.suggest` call.
package struct Suggestion: Sendable {
    /// Suggested point in [0,1]^d; non-continuous coordinates lie on allowed levels.
    package var point: [Double]
    /// Hyperparameters fitted on this call (`nil` when there were no observations); pass back as `warmStart`.
    package var hyperparameters: Hyperparameters?
    /// Posterior mean at `point` (units of the values the model was fit on; fantasy model).
    package var predictedMean: Double
    /// Posterior latent standard deviation at `point` (the same units; fantasy model).
    package var predictedStandardDeviation: Double
    /// LogEI at `point` (the same units; −∞ if no model was used).
    package var logExpectedImprovement: Double
}

/// GP-LogEI suggestion engine over the unit cube; stateless, deterministic in `seed`.
package struct BayesianOptimizer: Sendable {
    /// Tuning knobs; defaults meet ≤ 50 ms at n = 200, d = 6 (release build).
    package struct Configuration: Sendable {
        /// The acquisition search: 768 Sobol candidates, 256 around the best points, 10 local
        /// refinements of 30 L-BFGS iterations, results kept 1e-6 (∞-norm) from every observed
        /// and pending point.
        package var acquisition: AcquisitionOptimizer.Configuration = {
            var search = AcquisitionOptimizer.Configuration()
            search.candidates = 768
            search.localCandidates = 256
            search.starts = 10
            search.maxIterations = 30
            return search
        }()
        /// A suggestion stays outside the ellipsoid of radii `pendingRadius · ℓ_j` around each pending
        /// point when it can (0.05): with a nearly noise-free model the believer alone lets suggestions
        /// crowd within 1e-3 of each other.
        package var pendingRadius = 0.05
        /// A band of values separated from the rest by a gap wider than this many times the range of
        /// the rest is moved down next to it before the fit (`OutputWarping.compressingOutliers`;
        /// 10, ∞ turns it off).
        package var outlierGap: Double = 10
        /// Fit the GP to half-rank warped values (`OutputWarping.halfRank`; on). With the prior mean
        /// offset, measured over 30 seeds it lowered regret after 50 trials on five of eight benchmark
        /// functions (six with 4 workers), by 25x on Rosenbrock-4 and 180x on the six-hump camel,
        /// whose bad values are far out (docs/benchmarks.md).
        package var halfRankWarping = true
        /// A suggestion that rounds to a configuration already tried (a wide integer parameter) joins
        /// the pending points and the search runs again, up to 4 times, before a quasi-random
        /// configuration is taken instead (true; false: the quasi-random one at once).
        package var retryDuplicates = true
        /// With several objectives, fit each objective's GP to half-rank warped values too (off).
        /// Measured on four multi-objective problems over 10 seeds, warping lowered the median
        /// hypervolume after 50 trials on three and left the fourth level, and after 100 on all
        /// four (docs/benchmarks.md, "Multi-objective"): it flattens the worse half of each
        /// objective, which is where the front's far ends lie.
        package var halfRankWarpingPerObjective = false
        /// With several objectives, model one random augmented Chebyshev scalarization of them per
        /// suggestion (ParEGO) instead of each objective, and maximize its expected improvement (off:
        /// log EHVI over a GP per objective measured higher on all four problems, docs/benchmarks.md).
        package var randomScalarization = false
        /// Model each one-sided constraint through `GPEISampler.ConstraintWarp` (its bound at 0,
        /// far values compressed) rather than on its raw values (off: measured on C2-DTLZ2 it cut
        /// violations in trials 26-50 but raised them in 51-100, docs/benchmarks.md).
        package var constraintWarping = false
        /// Once a trial is feasible, a suggestion the models give less than this probability of
        /// feasibility loses 20 more units of log acquisition per unit of log probability below it
        /// (0.9; 0: plain EHVI × P(feasible)). The best trade-offs lie on a constraint's edge, and
        /// without a margin half the suggestions there fall outside it. Measured on two constrained
        /// problems (docs/benchmarks.md, "Multi-objective"): on one with a connected feasible region
        /// 0, 0.5 and 0.9 reach the same hypervolume and 0.5 and 0.9 violate nothing after trial 25;
        /// on C2-DTLZ2, whose feasible region is three islands, 0.9 violates as rarely as Optuna's
        /// GPSampler (6% of trials 26-50, against 28% with no margin) but rarely finds the other
        /// islands (hypervolume 0.21 against 0.32). A study sets it with `optimizer.feasibility_margin`.
        package var minimumFeasibility: Double = 0.9
        /// The GP's prior mean sits this many standard deviations of the values above their mean
        /// (2; 0 is the usual centered prior). Far from every observation the model then expects a
        /// poor value, and expected improvement there needs a large variance. Chosen on two suites
        /// at once (docs/benchmarks.md, "Defaults on both suites"): 8 keeps most suggestions off
        /// the faces of the cube and wins the test functions, but optima of real tuning problems
        /// often sit on a face (the largest learning rate, the smallest batch), and on the LCBench
        /// tasks 8 doubled the regret after 20 trials; 0 loses the test functions.
        package var priorMeanOffset: Double = 2
        /// The coordinate of an inactive conditional parameter (NaN, the default: the kernel compares
        /// inactive values as equal to each other and unlike any active value). A number instead
        /// imputes that value, as if the parameter had it; kept to measure the choice
        /// (docs/benchmarks.md, "Conditional spaces").
        package var inactiveFill: Double = .nan
        /// Monte Carlo samples of the pending trials' outcomes; the acquisition is then the mean
        /// EI over them, each against the best of the observed and its fantasized values (0 or 1:
        /// the kriging believer alone, the default). Off by default: measured with 4 workers it
        /// helped Branin and Hartmann-6 but made Rosenbrock-4 much worse (docs/benchmarks.md).
        /// The count used is cut to keep samples × n and samples × pending within `fantasyWork`.
        package var fantasySamples: Int = 0
        /// The same for the suggestions of a study with a fidelity (the curve model's), where the
        /// running trials' outcomes at max_steps are uncertain even after their first reports (8):
        /// measured with 4 workers on LCBench (docs/benchmarks.md, "Multi-fidelity").
        package var curveFantasySamples: Int = 8
        /// Fantasy draws are cut to the posterior mean ± this many standard deviations (∞).
        package var fantasyClip: Double = .infinity
        /// With a fidelity: the weight of a configuration's predicted log seconds per step,
        /// subtracted from LogEI (0: cost is not considered; 1: EI per second).
        package var costWeight: Double = 0
        /// Samples × observations, and samples × pending points, allowed for Monte Carlo fantasies (600).
        package var fantasyWork: Int = 600
        /// Best observed points around which extra candidates are drawn (5).
        package var anchors: Int = 5
        /// Random hyperparameter restarts when there is no warm start (4).
        package var fitRestarts: Int = 4
        /// Random hyperparameter restarts when a warm start is given and n ≤ `smallDataLimit` (1).
        package var warmFitRestarts: Int = 1
        /// Above this n, warm-started fits use the warm start only (150).
        package var smallDataLimit: Int = 150
        /// L-BFGS iterations per hyperparameter start without a warm start (100).
        package var fitIterations: Int = 100
        /// L-BFGS iterations per hyperparameter start when a warm start is given (15): the previous
        /// fit, one observation ago, is already close.
        package var warmFitIterations: Int = 15
        /// Relative per-iteration decrease of U below which a fit start stops (1e-8).
        package var fitFunctionTolerance: Double = 1e-8
        /// Objective evaluations per fit start ≈ fitWork / (n³ · starts), clamped to [minimumFitEvaluations, 3·fitIterations] (2e9).
        package var fitWork: Double = 2e9
        /// Lower clamp on objective evaluations per fit start (5); at n = 1000 one evaluation costs ≈ 45 ms.
        package var minimumFitEvaluations: Int = 5
        /// Fit stops when ‖∇U‖∞ ≤ this · n; U grows like n, so this is a per-observation tolerance (1e-4).
        package var fitGradientTolerance: Double = 1e-4
        /// Creates the defaults.
        package init() {}
    }

    /// Configuration in use.
    package var configuration: Configuration

    /// Creates an optimizer.
    package init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The values the GP is fit on: `values` (to minimize) through the configured output warping.
    package func modelValues(_ values: [Double]) -> [Double] {
        let warped = configuration.halfRankWarping ? OutputWarping.halfRank(values) : values
        return OutputWarping.compressingOutliers(warped, gap: configuration.outlierGap)
    }

    /// Fit options used for `n` observations (restarts and evaluation caps shrink as n grows).
    package func fitOptions(count n: Int, warm: Bool) -> FitOptions {
        var options = FitOptions()
        let c = configuration
        options.restarts = warm ? (n <= c.smallDataLimit ? c.warmFitRestarts : 0) : c.fitRestarts
        options.skipDefaultStartWhenWarm = warm && n > c.smallDataLimit
        let starts = Double(options.restarts + (warm ? (options.skipDefaultStartWhenWarm ? 1 : 2) : 1))
        let cube = Double(max(n, 1)) * Double(max(n, 1)) * Double(max(n, 1))
        let iterations = warm ? c.warmFitIterations : c.fitIterations
        let perStart = Int(min(Double(3 * iterations), max(Double(c.minimumFitEvaluations), c.fitWork / cube / starts)))
        options.maxEvaluations = perStart
        options.maxIterations = min(iterations, perStart)
        options.functionTolerance = c.fitFunctionTolerance
        options.gradientTolerance = c.fitGradientTolerance * Double(max(n, 1))
        return options
    }

    /// Suggests the next point to evaluate.
    ///
    /// - Parameters:
    ///   - observations: n points in [0,1]^d (already encoded).
    ///   - values: n finite values to MINIMIZE; the model is fit on `modelValues(values)`.
    ///   - pending: points under evaluation; the suggestion avoids them (kriging believer).
    ///   - dimensions: kind of each of the d coordinates.
    ///   - seed: all randomness derives from it.
    ///   - warmStart: hyperparameters from a previous call (speeds up and stabilizes the fit).
    ///   - activity: for a conditional space, which coordinates of a point are active; inactive
    ///     coordinates are NaN in observations, pending points and the suggestion.
    package func suggest(
        observations: [[Double]], values: [Double], pending: [[Double]], dimensions: [DimensionKind],
        seed: UInt64, warmStart: Hyperparameters? = nil, activity: (@Sendable ([Double]) -> [Bool])? = nil
    ) throws -> Suggestion {
        let d = dimensions.count
        guard d > 0 else { throw AcquisitionError.invalidInput("no dimensions") }
        guard observations.count == values.count else { throw AcquisitionError.invalidInput("\(observations.count) points, \(values.count) values") }
        guard observations.allSatisfy({ $0.count == d }), pending.allSatisfy({ $0.count == d }) else {
            throw AcquisitionError.invalidInput("every point needs \(d) coordinates")
        }
        guard values.allSatisfy(\.isFinite) else { throw AcquisitionError.invalidInput("values must be finite") }
        let excluded = observations + pending
        let root = Xoshiro256StarStar(seed: seed)

        if observations.isEmpty {
            var sequenceSeed = root.derived(stream: 1)
            var sequence = QuasiRandomSequence(dimension: d, seed: sequenceSeed.next())
            for _ in 0..<4096 {
                let p = AcquisitionOptimizer.Mask(activity, fill: configuration.inactiveFill).apply(zip(sequence.next(), dimensions).map { $1.snap($0) })
                let clash = excluded.contains { e in zip(e, p).allSatisfy { abs($0 - $1) <= configuration.acquisition.minimumSeparation } }
                if !clash {
                    return Suggestion(point: p, hyperparameters: nil, predictedMean: .nan, predictedStandardDeviation: .nan, logExpectedImprovement: -.infinity)
                }
            }
            throw AcquisitionError.noDistinctCandidate
        }

        let values = modelValues(values)
        let model = try fit(observations: observations, values: values, dimensions: dimensions, seed: seed,
                            warmStart: warmStart)
        return try suggest(using: model, observations: observations, values: values, pending: pending,
                           dimensions: dimensions, seed: seed, activity: activity)
    }

    /// Fits the GP to the observations (MAP, warm-started when `warmStart` is given).
    /// A coordinator fits once per new result and reuses the model for every suggestion until the next one.
    package func fit(
        observations: [[Double]], values: [Double], dimensions: [DimensionKind], seed: UInt64,
        warmStart: Hyperparameters? = nil
    ) throws -> GaussianProcessModel {
        var fitSeed = Xoshiro256StarStar(seed: seed).derived(stream: 2)
        let options = fitOptions(count: observations.count, warm: warmStart != nil)
        return try GaussianProcessModel.fit(
            inputs: observations, values: values, dimensions: dimensions, warmStart: warmStart,
            options: options, seed: fitSeed.next(), priorMeanOffset: configuration.priorMeanOffset)
    }

    /// The GP on `observations` with `hyperparameters` as they are (no fit), and the configured
    /// prior mean. `values` as for `fit`.
    package func model(
        observations: [[Double]], values: [Double], dimensions: [DimensionKind], hyperparameters: Hyperparameters
    ) throws -> GaussianProcessModel {
        try GaussianProcessModel(inputs: observations, values: values, dimensions: dimensions,
                                 hyperparameters: hyperparameters, priorMeanOffset: configuration.priorMeanOffset)
    }

    /// Maximizes LogEI under `model` conditioned on the pending points (kriging believer), avoiding
    /// every observed and pending point. `observations`/`values` are those `model` was fitted to
    /// (after `modelValues`).
    package func suggest(
        using model: GaussianProcessModel, observations: [[Double]], values: [Double], pending: [[Double]],
        dimensions: [DimensionKind], seed: UInt64, activity: (@Sendable ([Double]) -> [Bool])? = nil,
        cost: (model: GaussianProcessModel, weight: Double)? = nil
    ) throws -> Suggestion {
        let excluded = observations + pending
        let root = Xoshiro256StarStar(seed: seed)
        let snapped = pending.map { zip($0, dimensions).map { $0.isNaN ? .nan : $1.snap($0) } }
        let fantasy = try model.conditionedOnFantasies(snapped)
        let incumbent = values.min()!
        // Draws cost samples × (observations + pending) × n²: both counts are bounded, so many
        // pending points (a large fleet's first minutes) fall back to the believer.
        let samples = snapped.isEmpty
            ? 0 : min(configuration.fantasySamples, configuration.fantasyWork / max(observations.count, snapped.count, 1))
        var acquisition: LogEIAcquisition
        if samples >= 2 {
            // Joint draws of the pending outcomes, one point at a time: draw from the marginal,
            // then condition on the draw before the next point.
            var noise = root.derived(stream: 5)
            let clip = configuration.fantasyClip
            let normals = (0..<samples).map { _ in snapped.map { _ in min(max(noise.nextGaussian(), -clip), clip) } }
            let draws = try model.jointDraws(at: snapped, normals: normals).map { draw in
                (model: draw.model, incumbent: draw.values.reduce(incumbent, min))
            }
            acquisition = LogEIAcquisition(samples: draws)
        } else {
            acquisition = LogEIAcquisition(model: fantasy, incumbent: incumbent)
        }
        acquisition.cost = cost
        var acquisitionSeed = root.derived(stream: 3)
        let best = try AcquisitionOptimizer(configuration: configuration.acquisition).maximize(
            acquisition, dimensions: dimensions, excluded: excluded, seed: acquisitionSeed.next(),
            anchors: values.indices.sorted { values[$0] < values[$1] }.prefix(configuration.anchors).map { observations[$0] },
            keepAway: pending, radii: model.hyperparameters.lengthscales.map { configuration.pendingRadius * $0 },
            mask: AcquisitionOptimizer.Mask(activity, fill: configuration.inactiveFill))
        let posterior = fantasy.predict([best.point])
        return Suggestion(
            point: best.point, hyperparameters: model.hyperparameters,
            predictedMean: posterior.mean[0], predictedStandardDeviation: posterior.variance[0].squareRoot(),
            logExpectedImprovement: best.logExpectedImprovement)
    }
}
