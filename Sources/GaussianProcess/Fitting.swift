// Maximum-a-posteriori fitting of Gaussian-process hyperparameters.
//
// Notation:
//   θ = (log ℓ_1, …, log ℓ_d, log s, log σ²): d+2 log-hyperparameters,  ỹ: n standardized outputs,
//   K_y = K + σ²I: n×n,  α = K_y⁻¹ ỹ: n,  W = K_y⁻¹ − ααᵀ: n×n.
//   Objective (minimized): U(θ) = −log p(ỹ | θ) − log p(θ)
//     −log p(ỹ | θ) = ½ ỹᵀα + ½ log det K_y + (n/2) log 2π
//     ∂/∂θ_j [−log p(ỹ | θ)] = ½ tr(W ∂K_y/∂θ_j)      (Rasmussen & Williams 2006, eq. 5.9)
//     ∂K_ij/∂log ℓ_k = −2 s f'(r²) (x_ik − x_jk)²/ℓ_k²,  ∂K_ij/∂log s = K_ij,  ∂K_y/∂log σ² = σ² I.
//   Priors (independent Gaussians on θ, i.e. log-normal on the positive parameters):
//     log ℓ_k ~ N(0, 1²)     inputs live in [0,1]^d, so ℓ ≈ 1 is the natural scale (Optuna's GP
//                            prior on 1/ℓ² also peaks at ℓ = 1). The dimension-scaled prior of
//                            Hvarfner, Hellsten & Nardi (ICML 2024), N(√2 + ½ log d, √3²), was
//                            measured too: it favours ℓ ≈ 10 at d = 6 and, on the benchmark in
//                            docs/benchmarks.md, left regret 100x higher on Hartmann-6.
//     log s   ~ N(0, 1.5²)   (mild; outputs are standardized so s ≈ 1)
//     log σ²  ~ N(−8, 2²)    wide, centred on a small noise: a deterministic objective can be
//                            interpolated, a noisy one pulls σ² up through the likelihood. BoTorch's
//                            N(−4, 1²) kept σ² ≳ 1e-3 and blurred the optimum (measured likewise).
//   Box bounds on θ (see `HyperparameterBounds`) keep the problem well-posed; noise σ² ≥ 1e-6.

import SeededRandom
import CLAPACK
import Foundation

/// Independent normal priors on the log-hyperparameters (log-normal priors on ℓ, s, σ²).
package struct HyperparameterPriors: Sendable, Hashable {
    /// Mean of log ℓ_k.
    package var lengthscaleLogMean: Double
    /// Standard deviation of log ℓ_k.
    package var lengthscaleLogStd: Double
    /// Mean of log s.
    package var outputscaleLogMean: Double = 0
    /// Standard deviation of log s.
    package var outputscaleLogStd: Double = 1.5
    /// Mean of log σ².
    package var noiseLogMean: Double = -8
    /// Standard deviation of log σ².
    package var noiseLogStd: Double = 2

    /// Defaults: log ℓ ~ N(0, 1), log s ~ N(0, 2.25), log σ² ~ N(−8, 4) (variances), for any dimension `d`.
    package init(dimension d: Int) {
        lengthscaleLogMean = 0
        lengthscaleLogStd = 1
    }
}

/// Box constraints on the hyperparameters (natural scale); applied to θ in log space.
package struct HyperparameterBounds: Sendable, Hashable {
    /// Lengthscale range [lo, hi].
    package var lengthscale: ClosedRange<Double> = 5e-3...1e3
    /// Outputscale range [lo, hi].
    package var outputscale: ClosedRange<Double> = 1e-2...1e2
    /// Noise-variance range [lo, hi] (standardized units).
    package var noiseVariance: ClosedRange<Double> = 1e-6...2
    /// Creates the default bounds.
    package init() {}

    /// Lower and upper bounds on θ for dimension d (length d + 2 each).
    package func logBounds(dimension d: Int) -> (lower: [Double], upper: [Double]) {
        (Array(repeating: log(lengthscale.lowerBound), count: d) + [log(outputscale.lowerBound), log(noiseVariance.lowerBound)],
         Array(repeating: log(lengthscale.upperBound), count: d) + [log(outputscale.upperBound), log(noiseVariance.upperBound)])
    }
}

/// Negative log posterior U(θ) of the hyperparameters and its analytic gradient (see file header).
package struct HyperparameterObjective: Sendable {
    /// Input dimension d.
    package let dimension: Int
    /// Number of data points n.
    package let count: Int
    /// Dimension kinds (length d).
    package let dimensions: [DimensionKind]
    /// Priors on θ.
    package let priors: HyperparameterPriors
    let inputs: [Double]
    /// Standardized outputs ỹ (length n).
    package let standardizedValues: [Double]

    /// Creates the objective for row-major n×d inputs and raw outputs (standardized internally).
    package init(inputs: [[Double]], values: [Double], dimensions: [DimensionKind]? = nil, priors: HyperparameterPriors? = nil) {
        let d = inputs.first?.count ?? dimensions?.count ?? 0
        self.init(flatInputs: inputs.flatMap { $0 }, values: values, dimension: d, dimensions: dimensions, priors: priors)
    }

    init(flatInputs: [Double], values: [Double], dimension d: Int, dimensions: [DimensionKind]?, priors: HyperparameterPriors?) {
        dimension = d
        count = values.count
        self.dimensions = dimensions ?? Array(repeating: .continuous, count: d)
        self.priors = priors ?? HyperparameterPriors(dimension: d)
        inputs = flatInputs
        let (mean, scale) = Standardization.meanAndScale(values)
        standardizedValues = values.map { ($0 - mean) / scale }
    }

    /// −log p(θ) (normal densities on θ, constants included) and its gradient.
    func negativeLogPrior(_ theta: [Double]) -> (Double, [Double]) {
        let d = dimension
        var value = 0.0
        var grad = [Double](repeating: 0, count: d + 2)
        func add(_ i: Int, _ mu: Double, _ sigma: Double) {
            let z = (theta[i] - mu) / sigma
            value += 0.5 * z * z + log(sigma) + 0.5 * log(2 * Double.pi)
            grad[i] += z / sigma
        }
        for k in 0..<d { add(k, priors.lengthscaleLogMean, priors.lengthscaleLogStd) }
        add(d, priors.outputscaleLogMean, priors.outputscaleLogStd)
        add(d + 1, priors.noiseLogMean, priors.noiseLogStd)
        return (value, grad)
    }

    /// U(θ) and ∂U/∂θ; returns (+∞, 0) when the kernel matrix cannot be factorized.
    ///
    /// Cost: one n×n Cholesky (dpotrf), one inverse (dpotri) and two O(n²d) passes that are
    /// contiguous in the row index so they vectorize.
    package func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        evaluate(theta, workspace: ObjectiveWorkspace())
    }

    /// `evaluate(_:)` reusing the n×n buffers of `workspace` (avoids page faults on large n).
    func evaluate(_ theta: [Double], workspace: ObjectiveWorkspace) -> (value: Double, gradient: [Double]) {
        let d = dimension, n = count
        precondition(theta.count == d + 2)
        let failure = (Double.infinity, [Double](repeating: 0, count: d + 2))
        let hp = Hyperparameters(logParameters: theta)
        let kernel = Matern52Kernel(lengthscales: hp.lengthscales, outputscale: hp.outputscale, dimensions: dimensions)
        let s = hp.outputscale, noise = hp.noiseVariance
        var (value, grad) = negativeLogPrior(theta)
        guard n > 0 else { return (value, grad) }
        workspace.prepare(order: n)
        // Column-major kernel coordinates: columns[k·n + i] = scaled x_ik.
        let scaled = kernel.scaled(rowMajor: inputs, count: n)
        var columns = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for k in 0..<d { columns[k * n + i] = scaled[i * d + k] } }
        let cat = kernel.categoricalIndices
        let weights = kernel.mismatchWeight
        // Conditional dimensions take the slower arc terms (Kernel.swift).
        let cont = kernel.plainIndices, arc = kernel.arcIndices
        // gram: K_y (lower triangle); slopes: ∂f/∂r² for i > j; both column-major n×n.
        columns.withUnsafeBufferPointer { cp in
            workspace.gram.withUnsafeMutableBufferPointer { gp in
                workspace.slopes.withUnsafeMutableBufferPointer { sp in
                    workspace.vector.withUnsafeMutableBufferPointer { bp in
                        let col = cp.baseAddress!, r2 = bp.baseAddress!
                        for j in 0..<n {
                            gp[j * n + j] = s + noise
                            let len = n - j - 1
                            guard len > 0 else { continue }
                            for t in 0..<len { r2[t] = 0 }
                            for k in cont {
                                let c = col + k * n + j + 1, xj = col[k * n + j]
                                for t in 0..<len { let diff = c[t] - xj; r2[t] += diff * diff }
                            }
                            for k in arc {
                                let c = col + k * n + j + 1, xj = col[k * n + j]
                                for t in 0..<len { r2[t] += kernel.continuousTerm(c[t], xj, k) }
                            }
                            for k in cat {
                                let c = col + k * n + j + 1, xj = col[k * n + j], w = weights[k]
                                for t in 0..<len where c[t] != xj { r2[t] += w }
                            }
                            let g = gp.baseAddress! + j * n + j + 1, sl = sp.baseAddress! + j * n + j + 1
                            for t in 0..<len {
                                let (f, df) = matern52WithDerivative(r2[t])
                                g[t] = s * f
                                sl[t] = df
                            }
                        }
                    }
                }
            }
        }
        // work ← L (dpotrf with jitter escalation), α = K_y⁻¹ỹ, then work ← K_y⁻¹ (dpotri, lower).
        guard let jitter = workspace.factorizeGram(order: n) else { return failure }
        var alpha = standardizedValues
        var logDet = 0.0
        workspace.work.withUnsafeBufferPointer { w in
            for i in 0..<n { logDet += log(w[i * n + i]) }
            alpha.withUnsafeMutableBufferPointer { a in
                _ = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), 1, w.baseAddress, Int32(n), a.baseAddress, Int32(n))
            }
        }
        let info = workspace.work.withUnsafeMutableBufferPointer { w in
            LAPACKE_dpotri_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), w.baseAddress, Int32(n))
        }
        guard info == 0 else { return failure }
        var fit = 0.0
        for i in 0..<n { fit += standardizedValues[i] * alpha[i] }
        value += 0.5 * fit + logDet + 0.5 * Double(n) * log(2 * Double.pi)
        // Gradient: ½ Σ_ij W_ij ∂K_ij with W = K_y⁻¹ − ααᵀ; off-diagonal pairs counted once (symmetry).
        var gradLength = [Double](repeating: 0, count: d)
        var gradScale = 0.0
        var traceW = 0.0
        columns.withUnsafeBufferPointer { cp in
            workspace.work.withUnsafeBufferPointer { inv in
                workspace.gram.withUnsafeBufferPointer { gp in
                    workspace.slopes.withUnsafeBufferPointer { sp in
                        alpha.withUnsafeBufferPointer { ap in
                            workspace.vector.withUnsafeMutableBufferPointer { bp in
                                let col = cp.baseAddress!, c = bp.baseAddress!, a = ap.baseAddress!
                                for j in 0..<n {
                                    let wjj = inv[j * n + j] - a[j] * a[j]
                                    traceW += wjj
                                    gradScale += 0.5 * wjj * s
                                    let len = n - j - 1
                                    guard len > 0 else { continue }
                                    let offset = j * n + j + 1
                                    let invColumn = inv.baseAddress! + offset, kColumn = gp.baseAddress! + offset
                                    let slope = sp.baseAddress! + offset, aTail = a + j + 1
                                    let aj = a[j]
                                    var scaleAcc = 0.0
                                    for t in 0..<len {
                                        let w = invColumn[t] - aTail[t] * aj
                                        scaleAcc += w * kColumn[t]
                                        c[t] = -2 * s * w * slope[t]
                                    }
                                    gradScale += scaleAcc
                                    for k in cont {
                                        let x = col + k * n + j + 1, xj = col[k * n + j]
                                        var acc = 0.0
                                        for t in 0..<len { let diff = x[t] - xj; acc += c[t] * diff * diff }
                                        gradLength[k] += acc
                                    }
                                    // An arc term is a function of x − x' times 1/ℓ_k², like (Δ/ℓ_k)²: same derivative form.
                                    for k in arc {
                                        let x = col + k * n + j + 1, xj = col[k * n + j]
                                        var acc = 0.0
                                        for t in 0..<len { acc += c[t] * kernel.continuousTerm(x[t], xj, k) }
                                        gradLength[k] += acc
                                    }
                                    for k in cat {
                                        let x = col + k * n + j + 1, xj = col[k * n + j]
                                        var acc = 0.0
                                        for t in 0..<len where x[t] != xj { acc += c[t] }
                                        gradLength[k] += acc * weights[k]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        _ = jitter
        for k in 0..<d { grad[k] += gradLength[k] }
        grad[d] += gradScale
        grad[d + 1] += 0.5 * noise * traceW
        return (value, grad)
    }
}

/// Reusable n×n buffers for repeated objective evaluations within one fit (single-threaded use only).
final class ObjectiveWorkspace {
    var gram: [Double] = []
    var slopes: [Double] = []
    var work: [Double] = []
    var vector: [Double] = []
    private var order = -1

    /// Resizes the buffers for order n (contents are overwritten by the caller).
    func prepare(order n: Int) {
        guard n != order else { return }
        order = n
        gram = [Double](repeating: 0, count: n * n)
        slopes = [Double](repeating: 0, count: n * n)
        work = [Double](repeating: 0, count: n * n)
        vector = [Double](repeating: 0, count: n)
    }

    /// work ← Cholesky factor of gram + δI (lower), escalating δ like `CholeskyFactor.factorize`; returns δ or nil.
    func factorizeGram(order n: Int, maxRelativeJitter: Double = 1e-4) -> Double? {
        ensureSingleThreadedBLAS()
        var diagonalSum = 0.0
        for i in 0..<n { diagonalSum += gram[i * n + i] }
        let scale = diagonalSum / Double(n)
        guard scale.isFinite, scale > 0 else { return nil }
        var jitter = 0.0
        while true {
            let info = gram.withUnsafeBufferPointer { g in
                work.withUnsafeMutableBufferPointer { w in
                    w.baseAddress!.update(from: g.baseAddress!, count: n * n)
                    if jitter > 0 { for i in 0..<n { w[i * n + i] += jitter } }
                    return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), w.baseAddress, Int32(n))
                }
            }
            if info == 0 { return jitter }
            if info < 0 { return nil }
            jitter = jitter == 0 ? 1e-10 * scale : jitter * 10
            if jitter > maxRelativeJitter * scale * (1 + 1e-9) { return nil }
        }
    }
}

/// Settings for `GaussianProcessModel.fit`.
package struct FitOptions: Sendable {
    /// Number of random restarts drawn from the priors (in addition to the warm start and the prior mode).
    package var restarts: Int = 4
    /// L-BFGS-B iteration cap per start.
    package var maxIterations: Int = 100
    /// Objective-evaluation cap per start.
    package var maxEvaluations: Int = 200
    /// Stop a start when ‖projected ∇U‖∞ ≤ this (1e-5).
    package var gradientTolerance: Double = 1e-5
    /// Stop a start when the relative decrease of U per iteration is ≤ this (scipy's default, 2.2e-9).
    package var functionTolerance: Double = 2.220446049250313e-09
    /// Skip the prior-mode start when a warm start is given.
    package var skipDefaultStartWhenWarm: Bool = false
    /// Priors; `nil` means `HyperparameterPriors(dimension: d)`.
    package var priors: HyperparameterPriors? = nil
    /// Box constraints on the hyperparameters.
    package var bounds = HyperparameterBounds()
    /// Creates default options.
    package init() {}
}

extension GaussianProcessModel {
    /// Fits hyperparameters by MAP (projected L-BFGS on θ from several starts) and returns the conditioned model.
    ///
    /// Starts: `warmStart` (clamped to bounds) if given, the prior mode, then `options.restarts` draws from the
    /// priors using `Xoshiro256StarStar(seed:)`; the start with the lowest U(θ) wins. Deterministic in `seed`.
    /// θ is fitted to outputs centered on their mean; the returned model's prior mean is
    /// ȳ + `priorMeanOffset` · σ_y (see `init(inputs:values:dimensions:hyperparameters:priorMeanOffset:)`).
    package static func fit(
        inputs: [[Double]], values: [Double], dimensions: [DimensionKind]? = nil,
        warmStart: Hyperparameters? = nil, options: FitOptions = FitOptions(), seed: UInt64 = 0,
        priorMeanOffset: Double = 0
    ) throws(GaussianProcessError) -> GaussianProcessModel {
        guard let d = inputs.first?.count ?? dimensions?.count, d > 0 else { throw .invalidInput("dimension must be positive") }
        let dims = dimensions ?? Array(repeating: .continuous, count: d)
        guard dims.count == d, inputs.allSatisfy({ $0.count == d }), inputs.count == values.count else {
            throw .invalidInput("inconsistent shapes")
        }
        let hp = fitHyperparameters(inputs: inputs, values: values, dimensions: dims, warmStart: warmStart, options: options, seed: seed)
        return try GaussianProcessModel(inputs: inputs, values: values, dimensions: dims, hyperparameters: hp,
                                        priorMeanOffset: priorMeanOffset)
    }

    /// MAP hyperparameters only (see `fit`); falls back to the prior mode if every start fails.
    package static func fitHyperparameters(
        inputs: [[Double]], values: [Double], dimensions: [DimensionKind], warmStart: Hyperparameters?,
        options: FitOptions = FitOptions(), seed: UInt64 = 0
    ) -> Hyperparameters {
        let d = dimensions.count
        let objective = HyperparameterObjective(inputs: inputs, values: values, dimensions: dimensions, priors: options.priors)
        let priors = objective.priors
        let (lower, upper) = options.bounds.logBounds(dimension: d)
        func clamp(_ t: [Double]) -> [Double] { (0..<t.count).map { min(max(t[$0], lower[$0]), upper[$0]) } }
        let mode = Array(repeating: priors.lengthscaleLogMean, count: d) + [priors.outputscaleLogMean, priors.noiseLogMean]
        var starts: [[Double]] = []
        if let warm = warmStart, warm.lengthscales.count == d,
           warm.lengthscales.allSatisfy({ $0 > 0 }), warm.outputscale > 0, warm.noiseVariance > 0 {
            starts.append(clamp(warm.logParameters))
            if !options.skipDefaultStartWhenWarm { starts.append(clamp(mode)) }
        } else {
            starts.append(clamp(mode))
        }
        var rng = Xoshiro256StarStar(seed: seed)
        for _ in 0..<max(0, options.restarts) {
            var t = [Double](repeating: 0, count: d + 2)
            for k in 0..<d { t[k] = priors.lengthscaleLogMean + priors.lengthscaleLogStd * rng.nextGaussian() }
            t[d] = priors.outputscaleLogMean + 0.5 * priors.outputscaleLogStd * rng.nextGaussian()
            t[d + 1] = priors.noiseLogMean + priors.noiseLogStd * rng.nextGaussian()
            starts.append(clamp(t))
        }
        var optimizerOptions = LBFGS.Options()
        optimizerOptions.maxIterations = options.maxIterations
        optimizerOptions.maxEvaluations = options.maxEvaluations
        optimizerOptions.gradientTolerance = options.gradientTolerance
        optimizerOptions.functionTolerance = options.functionTolerance
        let optimizer = LBFGS(options: optimizerOptions)
        var best: (value: Double, theta: [Double])? = nil
        let workspace = ObjectiveWorkspace()
        for start in starts {
            let result = optimizer.minimize(from: start, lower: lower, upper: upper) { objective.evaluate($0, workspace: workspace) }
            if result.value.isFinite, best == nil || result.value < best!.value { best = (result.value, result.x) }
        }
        return Hyperparameters(logParameters: best?.theta ?? clamp(mode))
    }
}
