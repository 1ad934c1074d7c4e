// Maximization of LogEI over the unit cube with mixed continuous / discrete / categorical coordinates.
//
// Notation:
//   a(x) = LogEI(μ(x), σ(x); f*): acquisition at x ∈ [0,1]^d,  m: number of quasi-random candidates,
//   ∇a(x) = ∂LogEI/∂μ · ∇μ(x) + ∂LogEI/∂σ · ∇σ(x)  (chain rule; zero on non-continuous coordinates).
// Strategy (cf. BoTorch's optimize_acqf with raw samples + Boltzmann initialization):
//   1. m scrambled-Sobol candidates, snapped to allowed levels, evaluated in one batched posterior call;
//   2. starts = best ⌈starts/2⌉ candidates + Boltzmann draws (weights exp((a_i − a_max)/T), T = sd of a);
//   3. each start: projected L-BFGS on the continuous coordinates (others frozen via lo = hi), then
//      coordinate sweeps over every non-continuous coordinate's levels (exhaustive per coordinate),
//      then L-BFGS again if a level changed;
//   4. the best point farther than `minimumSeparation` (∞-norm) from every excluded point wins; the
//      refined points and all raw candidates are ranked together, so a distinct point always exists
//      unless the whole (discrete) space is excluded.

import SeededRandom
package import GaussianProcess
import Foundation

/// LogEI acquisition a(x) for minimization on a fixed model and incumbent f*; or, with several
/// fantasy models (Monte Carlo samples of the pending trials' outcomes), the log of the mean EI
/// over them, each against its own incumbent (as qLogEI does with fantasies).
package struct LogEIAcquisition: Sendable {
    /// Posterior models: one, or one per fantasy sample.
    package let models: [GaussianProcessModel]
    /// Incumbent f* per model: best (lowest) observed or fantasized value.
    package let incumbents: [Double]

    /// A penalty subtracted from the acquisition: `weight` times a model's posterior mean (a
    /// configuration's predicted log seconds per step, so the acquisition is LogEI minus the
    /// weighted log cost: expected improvement per unit of cost when the weight is 1).
    package var cost: (model: GaussianProcessModel, weight: Double)?

    /// The first model (all share dimension and inputs but the fantasized values).
    package var model: GaussianProcessModel { models[0] }
    package var incumbent: Double { incumbents[0] }

    /// Creates the acquisition function.
    package init(model: GaussianProcessModel, incumbent: Double) {
        self.models = [model]
        self.incumbents = [incumbent]
    }

    /// The mean EI over fantasy samples, in log space. The samples' models are one model
    /// conditioned on the same points at other values (siblings, as
    /// `GaussianProcessModel.predict(rowMajor:count:alongside:)` says): each evaluation computes
    /// their shared variance once.
    package init(samples: [(model: GaussianProcessModel, incumbent: Double)]) {
        precondition(!samples.isEmpty)
        precondition(samples.allSatisfy { $0.model.count == samples[0].model.count }, "the samples share their inputs")
        self.models = samples.map(\.model)
        self.incumbents = samples.map(\.incumbent)
    }

    /// log((1/S) Σ exp(a_s)), stable.
    static func logMeanExp(_ values: [Double]) -> Double {
        guard let top = values.max(), top.isFinite else { return values.max() ?? -.infinity }
        return top + log(values.reduce(0) { $0 + exp($1 - top) } / Double(values.count))
    }

    /// a(x_j) for m row-major points (m×d), one batched posterior evaluation for all models.
    package func values(rowMajor points: [Double], count m: Int) -> [Double] {
        let posteriors = models[0].predict(rowMajor: points, count: m, alongside: Array(models.dropFirst()))
        let perModel = zip(posteriors, incumbents).map { posterior, incumbent in
            (0..<m).map {
                LogExpectedImprovement.value(mean: posterior.mean[$0], standardDeviation: posterior.variance[$0].squareRoot(), incumbent: incumbent)
            }
        }
        let values = perModel.count == 1 ? perModel[0] : (0..<m).map { j in Self.logMeanExp(perModel.map { $0[j] }) }
        guard let cost else { return values }
        let penalty = cost.model.predict(rowMajor: points, count: m).mean
        return zip(values, penalty).map { $0 - cost.weight * $1 }
    }

    /// a(x) and ∇a(x) (length d) at one point.
    package func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
        var result = expectedImprovementAndGradient(at: x)
        if let cost {
            let p = cost.model.predictWithGradient(at: x)
            result.value -= cost.weight * p.mean
            for j in result.gradient.indices { result.gradient[j] -= cost.weight * p.meanGradient[j] }
        }
        return result
    }

    /// The LogEI part of `valueAndGradient`.
    func expectedImprovementAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
        let posteriors = models[0].predictWithGradient(at: x, alongside: Array(models.dropFirst()))
        let parts = zip(posteriors, incumbents).map { p, incumbent -> (value: Double, gradient: [Double]) in
            let e = LogExpectedImprovement.evaluate(mean: p.mean, standardDeviation: p.standardDeviation, incumbent: incumbent)
            var gradient = [Double](repeating: 0, count: x.count)
            if e.value.isFinite {
                for j in 0..<x.count { gradient[j] = e.dMean * p.meanGradient[j] + e.dStandardDeviation * p.standardDeviationGradient[j] }
            }
            return (e.value, gradient)
        }
        if parts.count == 1 { return parts[0] }
        let value = Self.logMeanExp(parts.map(\.value))
        var gradient = [Double](repeating: 0, count: x.count)
        guard value.isFinite else { return (value, gradient) }
        // ∇ log mean exp(a_s) = Σ_s softmax(a)_s ∇a_s.
        for part in parts where part.value.isFinite {
            let weight = exp(part.value - value) / Double(parts.count)
            for j in 0..<x.count { gradient[j] += weight * part.gradient[j] }
        }
        return (value, gradient)
    }
}

/// Result of an acquisition maximization.
package struct AcquisitionMaximum: Sendable {
    /// Maximizer in [0,1]^d with every non-continuous coordinate on an allowed level.
    package var point: [Double]
    /// a(point).
    package var logExpectedImprovement: Double
}

/// Errors from the acquisition layer.
package enum AcquisitionError: Error, Sendable, Equatable {
    /// Every candidate coincides with an observed or pending point.
    case noDistinctCandidate
    /// Shapes or values of the inputs are inconsistent.
    case invalidInput(String)
}

/// Multi-start gradient-based maximizer of an acquisition (LogEI, LogEHVI) over mixed unit-cube spaces.
package struct AcquisitionOptimizer: Sendable {
    /// Tuning knobs (defaults in parentheses).
    package struct Configuration: Sendable {
        /// Number of scrambled-Sobol raw candidates (1024).
        package var candidates: Int = 1024
        /// Extra candidates perturbed around the anchor points (512).
        package var localCandidates: Int = 512
        /// Number of local refinements (16); half greedy, half Boltzmann-sampled.
        package var starts: Int = 16
        /// L-BFGS iterations per refinement (40).
        package var maxIterations: Int = 40
        /// Coordinate sweeps over discrete levels per refinement (2).
        package var discreteSweeps: Int = 2
        /// A suggestion must differ from every excluded point by more than this in ∞-norm (1e-6).
        package var minimumSeparation: Double = 1e-6
        /// Creates the defaults.
        package init() {}
    }

    /// Configuration in use.
    package var configuration: Configuration

    /// Creates an optimizer.
    package init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Maximizes `acquisition` over the space described by `dimensions`, avoiding `excluded` points; deterministic in `seed`.
    ///
    /// `anchors`: points around which extra candidates are drawn. `keepAway`/`radii`: points whose
    /// ellipsoid of per-coordinate radii the result avoids when any candidate outside them remains.
    ///
    /// `mask`: for a conditional space, sets the coordinates a point's own parents make inactive
    /// wherever the acquisition is evaluated and in the result. The search itself moves every
    /// coordinate, so a parameter that becomes active when a parent's level changes has a value
    /// at once.
    package func maximize(
        _ acquisition: some AcquisitionFunction, dimensions: [DimensionKind], excluded: [[Double]], seed: UInt64,
        anchors: [[Double]] = [], keepAway: [[Double]] = [], radii: [Double] = [], mask: Mask = Mask(nil)
    ) throws(AcquisitionError) -> AcquisitionMaximum {
        let d = dimensions.count
        guard d == acquisition.dimension else { throw .invalidInput("model has \(acquisition.dimension) dimensions, space has \(d)") }
        var sequence = QuasiRandomSequence(dimension: d, seed: seed)
        var candidates = sequence.nextBatch(max(1, configuration.candidates))
        // Candidates around the best points so far (as BoTorch's "sample around best"): Gaussian
        // perturbations at two scales, clipped to the cube. Space-filling candidates alone rarely
        // land close enough to the incumbent to refine it in more than a few dimensions.
        // (An inactive coordinate of an anchor is drawn afresh.)
        if !anchors.isEmpty && configuration.localCandidates > 0 {
            var local = Xoshiro256StarStar(seed: seed).derived(stream: 0x10CA1)
            for k in 0..<configuration.localCandidates {
                let anchor = anchors[k % anchors.count]
                let sigma = k % 2 == 0 ? 0.02 : 0.1
                for j in 0..<d {
                    let center = anchor[j].isNaN ? local.nextUnitDouble() : anchor[j]
                    candidates.append(min(max(center + sigma * local.nextGaussian(), 0), 1))
                }
            }
        }
        let m = candidates.count / d
        for i in 0..<m { for j in 0..<d where !dimensions[j].isContinuous { candidates[i * d + j] = dimensions[j].snap(candidates[i * d + j]) } }
        let values = acquisition.values(rowMajor: mask.rows(candidates, dimension: d), count: m)

        // Start selection: greedy best half, Boltzmann draws for the rest.
        var rng = Xoshiro256StarStar(seed: seed).derived(stream: 0xB017)
        let order = (0..<m).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        let startCount = min(max(0, configuration.starts), m)
        let greedy = (startCount + 1) / 2
        var chosen = Array(order.prefix(greedy))
        var rest = Array(order.dropFirst(greedy)).filter { values[$0].isFinite }
        if !rest.isEmpty, chosen.count < startCount {
            let finite = rest.map { values[$0] }
            let top = finite.max() ?? 0
            let mean = finite.reduce(0, +) / Double(finite.count)
            let spread = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)).squareRoot()
            let temperature = spread > 0 ? spread : 1
            var weights = finite.map { exp(($0 - top) / temperature) }
            while chosen.count < startCount, !rest.isEmpty {
                let total = weights.reduce(0, +)
                var u = rng.nextUnitDouble() * total
                var pick = weights.count - 1
                for (k, w) in weights.enumerated() {
                    u -= w
                    if u < 0 { pick = k; break }
                }
                chosen.append(rest[pick])
                rest.remove(at: pick); weights.remove(at: pick)
            }
        }

        var pool: [(point: [Double], value: Double)] = []
        pool.reserveCapacity(chosen.count + m)
        for index in chosen {
            let start = Array(candidates[(index * d)..<((index + 1) * d)])
            pool.append(refine(start, value: values[index], acquisition: acquisition, dimensions: dimensions, mask: mask))
        }
        for i in 0..<m { pool.append((mask.apply(Array(candidates[(i * d)..<((i + 1) * d)])), values[i])) }
        let ranked = pool.indices.sorted {
            let a = pool[$0].value, b = pool[$1].value
            let ka = a.isNaN ? -Double.infinity : a, kb = b.isNaN ? -Double.infinity : b
            return ka > kb || (ka == kb && $0 < $1)
        }
        let tolerance = configuration.minimumSeparation
        // Coordinates compared with inactive ones: both inactive are equal, one inactive differs.
        func clashes(_ p: [Double]) -> Bool {
            excluded.contains { e in
                var distance = 0.0
                for j in 0..<d {
                    let gap = abs(e[j] - p[j])
                    distance = max(distance, gap.isNaN ? (e[j].isNaN && p[j].isNaN ? 0 : 1) : gap)
                }
                return distance <= tolerance
            }
        }
        // Inside the ellipsoid Σ_j ((p_j − e_j)/r_j)² < 1 around a kept-away point (continuous
        // coordinates; any differing discrete coordinate puts p outside).
        func crowds(_ p: [Double]) -> Bool {
            keepAway.contains { e in
                var sum = 0.0
                for j in 0..<d {
                    if p[j].isNaN || e[j].isNaN {
                        if p[j].isNaN != e[j].isNaN { return false }
                    } else if dimensions[j].isContinuous {
                        let u = (p[j] - e[j]) / radii[j]
                        sum += u * u
                    } else if abs(p[j] - e[j]) > 1e-12 {
                        return false
                    }
                }
                return sum < 1
            }
        }
        for pass in 0..<(keepAway.isEmpty ? 1 : 2) {
            for index in ranked {
                let p = pool[index].point
                if clashes(p) || (pass == 0 && !keepAway.isEmpty && crowds(p)) { continue }
                return AcquisitionMaximum(point: p, logExpectedImprovement: pool[index].value)
            }
        }
        throw .noDistinctCandidate
    }

    /// Local refinement: L-BFGS on continuous coordinates alternated with exhaustive per-coordinate level sweeps.
    /// Works on a full point (every coordinate a value) and evaluates it through `mask`; returns the masked point.
    func refine(
        _ start: [Double], value startValue: Double, acquisition: some AcquisitionFunction, dimensions: [DimensionKind],
        mask: Mask = Mask(nil)
    ) -> (point: [Double], value: Double) {
        let d = dimensions.count
        let continuous = (0..<d).filter { dimensions[$0].isContinuous }
        let discrete = (0..<d).filter { !dimensions[$0].isContinuous }
        var x = start, best = startValue
        var options = LBFGS.Options()
        options.maxIterations = configuration.maxIterations
        options.maxEvaluations = 3 * configuration.maxIterations
        options.gradientTolerance = 1e-6
        options.functionTolerance = 1e-9
        let optimizer = LBFGS(options: options)

        func continuousStep() {
            guard !continuous.isEmpty, best.isFinite else { return }
            var lower = x, upper = x
            for j in continuous { lower[j] = 0; upper[j] = 1 }
            let result = optimizer.minimize(from: x, lower: lower, upper: upper) { point in
                let (v, g) = acquisition.valueAndGradient(at: mask.apply(point))
                return (-v, g.map { $0.isNaN ? 0 : -$0 })
            }
            if -result.value > best { best = -result.value; x = result.x }
        }

        continuousStep()
        guard !discrete.isEmpty else { return (mask.apply(x), best) }
        for _ in 0..<max(1, configuration.discreteSweeps) {
            var changed = false
            for j in discrete {
                guard let levels = dimensions[j].levels, levels.count > 1 else { continue }
                var batch: [Double] = []
                batch.reserveCapacity(levels.count * d)
                for level in levels { var y = x; y[j] = level; batch.append(contentsOf: mask.apply(y)) }
                let scores = acquisition.values(rowMajor: batch, count: levels.count)
                for (k, score) in scores.enumerated() where score > best && levels[k] != x[j] {
                    best = score; x[j] = levels[k]; changed = true
                }
            }
            if !changed { break }
            continuousStep()
        }
        return (mask.apply(x), best)
    }

    /// Sets the inactive coordinates of points to NaN, or to `fill` (nothing without an activity function).
    package struct Mask: Sendable {
        let activity: (@Sendable ([Double]) -> [Bool])?
        let fill: Double
        package init(_ activity: (@Sendable ([Double]) -> [Bool])?, fill: Double = .nan) { self.activity = activity; self.fill = fill }

        func apply(_ point: [Double]) -> [Double] {
            guard let activity else { return point }
            var out = point
            for (j, active) in activity(point).enumerated() where !active { out[j] = fill }
            return out
        }

        func rows(_ rowMajor: [Double], dimension d: Int) -> [Double] {
            guard activity != nil, d > 0 else { return rowMajor }
            var out: [Double] = []
            out.reserveCapacity(rowMajor.count)
            for i in 0..<(rowMajor.count / d) { out += apply(Array(rowMajor[(i * d)..<((i + 1) * d)])) }
            return out
        }
    }
}
