// Exact Gaussian-process regression posterior with standardized outputs.
//
// Notation:
//   X: n×d training inputs (row-major),  y: n raw outputs,  ȳ, σ_y: output mean and standard deviation,
//   ỹ = (y − ȳ)/σ_y: standardized outputs,  K: n×n kernel matrix on X,  σ²: noise variance,
//   L: lower Cholesky factor of K + σ²I,  α = (K + σ²I)⁻¹ ỹ: n,
//   X*: m×d test points,  K*: n×m cross-covariance,  s: outputscale.
//   Standardized posterior: μ̃ = K*ᵀ α,  ṽ = s − colsum((L⁻¹K*)²);  raw: μ = ȳ + σ_y μ̃, v = σ_y² ṽ.
// Reference: Rasmussen & Williams, "Gaussian Processes for Machine Learning" (2006), Alg. 2.1.

import CLAPACK
import Foundation

/// Posterior mean and latent variance at a batch of points (raw output units).
package struct PosteriorBatch: Sendable {
    /// Posterior mean μ(x_j), length m.
    package var mean: [Double]
    /// Posterior variance of the latent function v(x_j) ≥ 0 (noise excluded), length m.
    package var variance: [Double]
}

/// Posterior at one point with input gradients (raw output units).
package struct PointPosterior: Sendable {
    /// Posterior mean μ(x).
    package var mean: Double
    /// Posterior standard deviation √v(x) of the latent function.
    package var standardDeviation: Double
    /// ∂μ/∂x, length d (zero on categorical dimensions).
    package var meanGradient: [Double]
    /// ∂√v/∂x, length d (zero on categorical dimensions).
    package var standardDeviationGradient: [Double]
}

/// Conditioned Gaussian-process model over the unit cube; immutable and `Sendable`.
package struct GaussianProcessModel: Sendable {
    /// Input dimension d.
    package let dimension: Int
    /// Kind of each input dimension (length d).
    package let dimensions: [DimensionKind]
    /// Hyperparameters on the standardized output scale.
    package let hyperparameters: Hyperparameters
    /// Training inputs, row-major n×d (includes fantasy points after conditioning).
    package let inputs: [Double]
    /// Raw training outputs, length n (fantasy outputs included).
    package let values: [Double]
    /// The constant prior mean, ȳ + `priorMeanOffset` · σ_y; outputs are standardized around it.
    package let outputMean: Double
    /// Output standard deviation σ_y used for standardization.
    package let outputScale: Double
    /// Number of conditioning points n.
    package var count: Int { values.count }

    let kernel: Matern52Kernel
    let scaledInputs: [Double]
    let standardizedValues: [Double]
    let factor: CholeskyFactor
    let alpha: [Double]

    /// Builds the posterior for fixed hyperparameters; outputs are standardized internally.
    ///
    /// - Parameters:
    ///   - inputs: n points of the unit cube, each of length d.
    ///   - values: n raw outputs.
    ///   - dimensions: d dimension kinds (default all continuous).
    ///   - priorMeanOffset: k in the prior mean ȳ + k·σ_y (0: the observed mean). A positive k makes
    ///     the model expect worse than average values far from every observation. Ignored (0) when
    ///     the values have no spread (n < 2 or all equal).
    package init(
        inputs: [[Double]], values: [Double], dimensions: [DimensionKind]? = nil, hyperparameters: Hyperparameters,
        priorMeanOffset: Double = 0
    ) throws(GaussianProcessError) {
        let d = hyperparameters.lengthscales.count
        guard inputs.count == values.count else { throw .invalidInput("\(inputs.count) inputs but \(values.count) values") }
        guard inputs.allSatisfy({ $0.count == d }) else { throw .invalidInput("every input must have \(d) coordinates") }
        let (observedMean, spread) = Standardization.meanAndSpread(values)
        let scale = spread ?? 1
        // With no spread to measure the offset in (one value, or all equal), the prior stays centred.
        let mean = observedMean + (spread == nil ? 0 : priorMeanOffset * scale)
        try self.init(
            flatInputs: inputs.flatMap { $0 }, values: values, standardized: values.map { ($0 - mean) / scale },
            outputMean: mean, outputScale: scale,
            dimensions: dimensions ?? Array(repeating: .continuous, count: d), hyperparameters: hyperparameters)
    }

    init(
        flatInputs: [Double], values: [Double], standardized: [Double], outputMean: Double, outputScale: Double,
        dimensions: [DimensionKind], hyperparameters: Hyperparameters
    ) throws(GaussianProcessError) {
        let d = hyperparameters.lengthscales.count
        let n = values.count
        guard dimensions.count == d else { throw .invalidInput("\(dimensions.count) dimension kinds for \(d) lengthscales") }
        // NaN marks an inactive coordinate (Kernel.swift); infinities are errors.
        guard !flatInputs.contains(where: \.isInfinite), values.allSatisfy(\.isFinite) else { throw .invalidInput("non-finite data") }
        self.dimension = d
        self.dimensions = dimensions
        self.hyperparameters = hyperparameters
        self.inputs = flatInputs
        self.values = values
        self.outputMean = outputMean
        self.outputScale = outputScale
        self.standardizedValues = standardized
        let kernel = Matern52Kernel(lengthscales: hyperparameters.lengthscales, outputscale: hyperparameters.outputscale, dimensions: dimensions)
        self.kernel = kernel
        let scaled = kernel.scaled(rowMajor: flatInputs, count: n)
        self.scaledInputs = scaled
        var gram = kernel.crossCovariance(scaledA: scaled, countA: n, scaledB: scaled, countB: n)
        for i in 0..<n { gram[i * n + i] += hyperparameters.noiseVariance }
        let factor = try CholeskyFactor.factorize(gram, order: n)
        self.factor = factor
        self.alpha = factor.solve(standardized)
    }

    private init(copying m: GaussianProcessModel, inputs: [Double], values: [Double], standardized: [Double], scaled: [Double], factor: CholeskyFactor) {
        dimension = m.dimension
        dimensions = m.dimensions
        hyperparameters = m.hyperparameters
        self.inputs = inputs
        self.values = values
        outputMean = m.outputMean
        outputScale = m.outputScale
        kernel = m.kernel
        scaledInputs = scaled
        standardizedValues = standardized
        self.factor = factor
        alpha = factor.solve(standardized)
    }

    /// Posterior at m points given row-major m×d coordinates; one GEMV and one TRSM for the whole batch.
    package func predict(rowMajor points: [Double], count m: Int) -> PosteriorBatch {
        predict(rowMajor: points, count: m, alongside: [])[0]
    }

    /// The posteriors of this model and of `siblings` at m points, in that order. Siblings are
    /// this model conditioned on other values at the same points: the same inputs,
    /// hyperparameters, standardization and factor, other values (the joint draws of pending
    /// outcomes, `conditionedOnFantasies(_:values:)` of the same points). Their posteriors differ
    /// in the mean alone, so the kernel vectors and the O(n²m) variance are computed once and each
    /// sibling adds one O(nm) GEMV; each result is what its model's own `predict` gives.
    package func predict(rowMajor points: [Double], count m: Int, alongside siblings: [GaussianProcessModel]) -> [PosteriorBatch] {
        precondition(points.count == m * dimension, "points must be m×d")
        precondition(siblings.allSatisfy { $0.count == count && $0.dimension == dimension }, "siblings share the inputs")
        let n = count
        let s = hyperparameters.outputscale
        let models = [self] + siblings
        guard m > 0 else { return models.map { _ in PosteriorBatch(mean: [], variance: []) } }
        guard n > 0 else {
            return models.map { _ in
                PosteriorBatch(mean: Array(repeating: outputMean, count: m), variance: Array(repeating: s * outputScale * outputScale, count: m))
            }
        }
        let scaledPoints = kernel.scaled(rowMajor: points, count: m)
        var cross = kernel.crossCovariance(scaledA: scaledInputs, countA: n, scaledB: scaledPoints, countB: m)
        let means = models.map { mean(cross: cross, rows: n, columns: m, weights: $0.alpha) }
        factor.solveLower(matrix: &cross, columns: m)
        let variance = variances(solved: cross, rows: n, columns: m)
        return means.map { PosteriorBatch(mean: $0, variance: variance) }
    }

    /// Posterior mean alone at each point of `points`: O(nm), without the O(n²m) variance.
    package func predictMean(_ points: [[Double]]) -> [Double] {
        let m = points.count, n = count
        guard m > 0 else { return [] }
        guard n > 0 else { return Array(repeating: outputMean, count: m) }
        let cross = kernel.crossCovariance(scaledA: scaledInputs, countA: n,
                                           scaledB: kernel.scaled(rowMajor: points.flatMap { $0 }, count: m), countB: m)
        return mean(cross: cross, rows: n, columns: m, weights: alpha)
    }

    /// The posterior mean in raw units, outputMean + outputScale · crossᵀ·weights, at the m points
    /// whose kernel columns against the n inputs are `cross` (column-major n×m): one GEMV.
    func mean(cross: [Double], rows n: Int, columns m: Int, weights: [Double]) -> [Double] {
        var mean = [Double](repeating: 0, count: m)
        cross.withUnsafeBufferPointer { c in
            weights.withUnsafeBufferPointer { a in
                mean.withUnsafeMutableBufferPointer { out in
                    cblas_dgemv(CblasColMajor, CblasTrans, Int32(n), Int32(m), 1.0, c.baseAddress, Int32(n), a.baseAddress, 1, 0.0, out.baseAddress, 1)
                }
            }
        }
        return mean.map { outputMean + outputScale * $0 }
    }

    /// The posterior variance in raw units at m points, from their kernel columns already solved
    /// against the lower factor (`solved`, column-major n×m): (s − ‖v‖²)⁺ · outputScale².
    func variances(solved: [Double], rows n: Int, columns m: Int) -> [Double] {
        let s = hyperparameters.outputscale, sy2 = outputScale * outputScale
        var variance = [Double](repeating: 0, count: m)
        solved.withUnsafeBufferPointer { v in
            for j in 0..<m {
                let column = v.baseAddress! + j * n
                var q = 0.0
                for i in 0..<n { q += column[i] * column[i] }
                variance[j] = max(s - q, 0) * sy2
            }
        }
        return variance
    }

    /// Posterior at each point of `points` (each of length d).
    package func predict(_ points: [[Double]]) -> PosteriorBatch {
        predict(rowMajor: points.flatMap { $0 }, count: points.count)
    }

    /// Posterior mean, standard deviation and their gradients w.r.t. x at one point.
    ///
    /// ∂k_i/∂x_j = s f'(r_i²)·2(x_j − X_ij)/ℓ_j²;  ∂μ̃/∂x = Jᵀα;  ∂ṽ/∂x = −2 Jᵀ (K+σ²I)⁻¹ k;  ∂√ṽ/∂x = ∂ṽ/∂x / (2√ṽ).
    package func predictWithGradient(at x: [Double]) -> PointPosterior {
        predictWithGradient(at: x, alongside: [])[0]
    }

    /// `predictWithGradient(at:)` of this model and of `siblings` (as for `predict(rowMajor:count:alongside:)`):
    /// the kernel vector, its Jacobian and the standard deviation are computed once.
    package func predictWithGradient(at x: [Double], alongside siblings: [GaussianProcessModel]) -> [PointPosterior] {
        precondition(x.count == dimension)
        precondition(siblings.allSatisfy { $0.count == count && $0.dimension == dimension }, "siblings share the inputs")
        let models = [self] + siblings
        let n = count, d = dimension
        let s = hyperparameters.outputscale
        let sy = outputScale
        if n == 0 {
            return models.map { _ in
                PointPosterior(mean: outputMean, standardDeviation: s.squareRoot() * sy,
                               meanGradient: Array(repeating: 0, count: d), standardDeviationGradient: Array(repeating: 0, count: d))
            }
        }
        let z = kernel.scaled(x)
        var k = [Double](repeating: 0, count: n)
        // jac: row-major n×d of ∂k_i/∂x_j (scaled coordinates: ∂/∂x_j = (1/ℓ_j) ∂/∂z_j).
        var jac = [Double](repeating: 0, count: n * d)
        let cont = kernel.continuousIndices, plain = kernel.plainIndices, arc = kernel.arcIndices
        let invL = kernel.coordinateScale
        scaledInputs.withUnsafeBufferPointer { xs in
            z.withUnsafeBufferPointer { zp in
                for i in 0..<n {
                    let row = xs.baseAddress! + i * d
                    let r2 = kernel.squaredDistance(zp.baseAddress!, row)
                    let (f, df) = matern52WithDerivative(r2)
                    k[i] = s * f
                    let factor = 2 * s * df
                    for j in plain { jac[i * d + j] = factor * (zp[j] - row[j]) * invL[j] }
                    // A conditional dimension's arc term (0 where either side is inactive).
                    for j in arc { jac[i * d + j] = 0.5 * factor * kernel.arcSlope(zp[j], row[j], j) }
                }
            }
        }
        let means = models.map { model in
            var meanStd = 0.0
            var gradMean = [Double](repeating: 0, count: d)
            for i in 0..<n {
                meanStd += k[i] * model.alpha[i]
                for j in cont { gradMean[j] += jac[i * d + j] * model.alpha[i] }
            }
            for j in cont { gradMean[j] *= sy }
            return (mean: outputMean + sy * meanStd, gradient: gradMean)
        }
        var v = k
        factor.solveLower(&v)
        var q = 0.0
        for i in 0..<n { q += v[i] * v[i] }
        let varianceStd = s - q
        var gradStd = [Double](repeating: 0, count: d)
        let floor = 1e-12 * s
        let std: Double
        if varianceStd > floor {
            std = varianceStd.squareRoot()
            var w = v
            factor.solveUpper(&w)
            for i in 0..<n {
                let c = -2 * w[i]
                for j in cont { gradStd[j] += c * jac[i * d + j] }
            }
            let inv = 1 / (2 * std)
            for j in cont { gradStd[j] *= inv * sy }
        } else {
            std = max(varianceStd, 0).squareRoot()
        }
        return means.map {
            PointPosterior(mean: $0.mean, standardDeviation: std * sy, meanGradient: $0.gradient, standardDeviationGradient: gradStd)
        }
    }

    /// Joint draws of the outcomes at `points`, one draw per row of `normals` (a standard normal
    /// per point). A draw takes each point's value from the posterior given its earlier values,
    /// mean + σ·z, then is conditioned on it: what `predict` and `conditionedOnFantasies(_:values:)`
    /// one point at a time give, bit for bit. The draws share their inputs, so the kernel vectors,
    /// the variances and the extended factor are computed once for all of them; a draw adds its
    /// mean and its weights (one solve) per point. Returns each draw's model and values.
    package func jointDraws(at points: [[Double]], normals: [[Double]]) throws(GaussianProcessError)
        -> [(model: GaussianProcessModel, values: [Double])]
    {
        guard points.allSatisfy({ $0.count == dimension }) else { throw .invalidInput("draw points must have \(dimension) coordinates") }
        guard normals.allSatisfy({ $0.count == points.count }) else { throw .invalidInput("one normal per point and draw") }
        guard count > 0 else { throw .invalidInput("draws need an observation") }
        var factor = self.factor, scaled = scaledInputs
        var standardized = Array(repeating: standardizedValues, count: normals.count)
        var alphas = Array(repeating: alpha, count: normals.count)
        var drawn = Array(repeating: [Double](), count: normals.count)
        for (j, point) in points.enumerated() {
            let n = count + j
            let scaledNew = kernel.scaled(rowMajor: point, count: 1)
            let cross = kernel.crossCovariance(scaledA: scaled, countA: n, scaledB: scaledNew, countB: 1)
            var solved = cross
            factor.solveLower(matrix: &solved, columns: 1)
            let deviation = max(variances(solved: solved, rows: n, columns: 1)[0], 0).squareRoot()
            var block = kernel.crossCovariance(scaledA: scaledNew, countA: 1, scaledB: scaledNew, countB: 1)
            block[0] += hyperparameters.noiseVariance
            factor = try factor.appending(cross: cross, block: block, count: 1)
            scaled += scaledNew
            for draw in normals.indices {
                let value = mean(cross: cross, rows: n, columns: 1, weights: alphas[draw])[0] + deviation * normals[draw][j]
                drawn[draw].append(value)
                standardized[draw].append((value - outputMean) / outputScale)
                alphas[draw] = factor.solve(standardized[draw])
            }
        }
        let flat = points.flatMap { $0 }
        return normals.indices.map { draw in
            (GaussianProcessModel(copying: self, inputs: inputs + flat, values: values + drawn[draw],
                                  standardized: standardized[draw], scaled: scaled, factor: factor), drawn[draw])
        }
    }

    /// The model without the observations at `rows` (indices into its points): the same
    /// hyperparameters and standardization, the posterior of the others alone. O(n³): the
    /// factor is computed again.
    package func excluding(rows: Set<Int>) throws(GaussianProcessError) -> GaussianProcessModel {
        guard !rows.isEmpty else { return self }
        let keep = (0..<count).filter { !rows.contains($0) }
        return try GaussianProcessModel(
            flatInputs: keep.flatMap { inputs[($0 * dimension)..<(($0 + 1) * dimension)] }, values: keep.map { values[$0] },
            standardized: keep.map { standardizedValues[$0] }, outputMean: outputMean, outputScale: outputScale,
            dimensions: dimensions, hyperparameters: hyperparameters)
    }

    /// New model that also conditions on `points` with outputs set to the current posterior mean (kriging believer).
    ///
    /// Hyperparameters and standardization constants are kept; the Cholesky factor is extended by a
    /// bordered update in O(n²p + p³) instead of being recomputed.
    package func conditionedOnFantasies(_ points: [[Double]]) throws(GaussianProcessError) -> GaussianProcessModel {
        try conditionedOnFantasies(points, values: nil)
    }

    /// The model with `points` observed at `values` (raw units); at the posterior mean when nil.
    package func conditionedOnFantasies(_ points: [[Double]], values given: [Double]?) throws(GaussianProcessError)
        -> GaussianProcessModel
    {
        guard !points.isEmpty else { return self }
        guard points.allSatisfy({ $0.count == dimension }) else { throw .invalidInput("fantasy points must have \(dimension) coordinates") }
        guard given == nil || given!.count == points.count else { throw .invalidInput("one fantasy value per point") }
        let p = points.count, n = count
        let flat = points.flatMap { $0 }
        let fantasy = given ?? predict(rowMajor: flat, count: p).mean
        let scaledNew = kernel.scaled(rowMajor: flat, count: p)
        let cross = kernel.crossCovariance(scaledA: scaledInputs, countA: n, scaledB: scaledNew, countB: p)
        var block = kernel.crossCovariance(scaledA: scaledNew, countA: p, scaledB: scaledNew, countB: p)
        for i in 0..<p { block[i * p + i] += hyperparameters.noiseVariance }
        let extended = try factor.appending(cross: cross, block: block, count: p)
        return GaussianProcessModel(
            copying: self, inputs: inputs + flat, values: values + fantasy,
            standardized: standardizedValues + fantasy.map { ($0 - outputMean) / outputScale },
            scaled: scaledInputs + scaledNew, factor: extended)
    }
}

/// Output standardization used by the model.
package enum Standardization {
    /// (ȳ, σ_y): sample mean and sample standard deviation (n − 1 divisor); σ_y = 1 when n < 2 or the spread is ~0.
    package static func meanAndScale(_ y: [Double]) -> (mean: Double, scale: Double) {
        let (mean, spread) = meanAndSpread(y)
        return (mean, spread ?? 1)
    }

    /// ȳ and the sample standard deviation; the latter nil when n < 2 or the spread is ~0.
    static func meanAndSpread(_ y: [Double]) -> (mean: Double, spread: Double?) {
        guard !y.isEmpty else { return (0, nil) }
        let mean = y.reduce(0, +) / Double(y.count)
        guard y.count > 1 else { return (mean, nil) }
        let ss = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let sd = (ss / Double(y.count - 1)).squareRoot()
        guard sd > 1e-12 * max(1, abs(mean)), sd.isFinite else { return (mean, nil) }
        return (mean, sd)
    }
}
