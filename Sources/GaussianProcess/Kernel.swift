// Matérn-5/2 ARD kernel with optional categorical (Hamming) dimensions.
//
// Notation:
//   x, x': points in [0,1]^d,  ℓ_k: lengthscale of dimension k,  s: signal variance (outputscale),
//   r² = Σ_{k continuous} (x_k − x'_k)²/ℓ_k² + Σ_{k categorical} [c_k ≠ c'_k]/ℓ_k²,
//   k(x, x') = s · f(r),  f(r) = (1 + √5 r + 5r²/3) · exp(−√5 r),
//   f'(r)/(2r) = ∂f/∂(r²) = −(5/6)(1 + √5 r) · exp(−√5 r).
// Conditional dimensions (`.conditional`): an inactive coordinate (the parameter's condition does
// not hold) is NaN. To keep the kernel positive definite, such a dimension is embedded in the
// plane (the arc kernel of Swersky et al., 2014): an active value x sits on an arc of radius c,
// (c cos(x/c), c sin(x/c)), an inactive one at the centre. Its r² term is then
//   both inactive: 0;  one inactive: c²/ℓ_k²;  both active: 4c² sin²((x − x')/(2c))/ℓ_k²,
// Euclidean in the plane, so inactive values are equal to each other and equally far from every
// active one, and close active values are about |x − x'| apart as in an unconditional dimension.
// c = 0.5 (half the range): measured on Jenatton's tree function (docs/benchmarks.md).
// A categorical inactive coordinate is category −1, unequal to every category (Hamming).
// A categorical NaN is category −1, unequal to every category.
// Reference: Rasmussen & Williams, "Gaussian Processes for Machine Learning" (2006), eq. 4.17.

import Foundation

/// How one coordinate of the unit cube is interpreted.
package enum DimensionKind: Sendable, Hashable, Codable {
    /// Any value in [0, 1].
    case continuous
    /// Only the listed values (each in [0, 1]) are allowed; the kernel treats the axis as continuous.
    case discrete(levels: [Double])
    /// `count` unordered categories; category i is encoded as (i + 0.5)/count and compared by Hamming distance.
    case categorical(count: Int)
    /// A conditional parameter's coordinate: as `kind` where active, NaN where inactive (see the
    /// arc embedding at the top of this file).
    indirect case conditional(DimensionKind)

    /// The kind without the conditional wrapper.
    package var base: DimensionKind {
        if case .conditional(let kind) = self { return kind.base }
        return self
    }

    /// Whether the coordinate may be inactive (NaN).
    package var isConditional: Bool {
        if case .conditional = self { return true }
        return false
    }

    /// Allowed values for discrete and categorical dimensions; `nil` for continuous ones.
    package var levels: [Double]? {
        switch self {
        case .conditional(let kind): return kind.levels
        case .continuous: return nil
        case .discrete(let levels): return levels.sorted()
        case .categorical(let count): return (0..<max(count, 1)).map { (Double($0) + 0.5) / Double(max(count, 1)) }
        }
    }

    /// Whether the kernel compares this coordinate by equality only.
    package var isCategorical: Bool {
        if case .categorical = base { return true }
        return false
    }

    /// Whether the coordinate may vary continuously.
    package var isContinuous: Bool {
        if case .continuous = base { return true }
        return false
    }

    /// Category index of an encoded value: ⌊v · count⌋ clamped to [0, count−1] (categorical only).
    package func categoryIndex(_ value: Double) -> Int {
        guard case .categorical(let count) = base, count > 0 else { return 0 }
        return min(count - 1, max(0, Int((value * Double(count)).rounded(.down))))
    }

    /// Nearest allowed value: clamps to [0, 1], then rounds to the closest level when levels exist.
    package func snap(_ value: Double) -> Double {
        let v = value.isFinite ? min(1, max(0, value)) : 0.5
        switch self {
        case .conditional(let kind):
            return kind.snap(value)
        case .continuous:
            return v
        case .categorical(let count):
            guard count > 0 else { return 0.5 }
            return (Double(categoryIndex(v)) + 0.5) / Double(count)
        case .discrete(let levels):
            guard var best = levels.first else { return v }
            for level in levels where abs(level - v) < abs(best - v) { best = level }
            return best
        }
    }
}

/// Kernel and likelihood hyperparameters, all on the standardized output scale.
package struct Hyperparameters: Sendable, Hashable, Codable {
    /// Per-dimension lengthscales ℓ_k > 0 (length d).
    package var lengthscales: [Double]
    /// Signal variance s > 0 of the standardized outputs.
    package var outputscale: Double
    /// Gaussian observation-noise variance σ² > 0 of the standardized outputs.
    package var noiseVariance: Double

    /// Creates a hyperparameter set.
    package init(lengthscales: [Double], outputscale: Double, noiseVariance: Double) {
        self.lengthscales = lengthscales
        self.outputscale = outputscale
        self.noiseVariance = noiseVariance
    }

    /// Log-parameter vector θ = (log ℓ_1, …, log ℓ_d, log s, log σ²) of length d + 2.
    package var logParameters: [Double] {
        lengthscales.map { log($0) } + [log(outputscale), log(noiseVariance)]
    }

    /// Inverse of `logParameters` for a vector of length d + 2.
    package init(logParameters theta: [Double]) {
        precondition(theta.count >= 2)
        let d = theta.count - 2
        lengthscales = theta[0..<d].map { exp($0) }
        outputscale = exp(theta[d])
        noiseVariance = exp(theta[d + 1])
    }
}

/// Kernel profile f(r) as a function of r²: (1 + √5 r + 5r²/3) e^{−√5 r}.
@inline(__always)
func matern52(_ r2: Double) -> Double {
    let r = r2.squareRoot()
    let a = 5.0.squareRoot() * r
    return (1 + a + a * a / 3) * exp(-a)
}

/// Profile and its derivative w.r.t. r²: (f, ∂f/∂r²) with ∂f/∂r² = −(5/6)(1 + √5 r) e^{−√5 r}.
@inline(__always)
func matern52WithDerivative(_ r2: Double) -> (value: Double, dr2: Double) {
    let r = r2.squareRoot()
    let a = 5.0.squareRoot() * r
    let e = exp(-a)
    return ((1 + a + a * a / 3) * e, -(5.0 / 6.0) * (1 + a) * e)
}

/// Matérn-5/2 ARD kernel k(x, x') = s f(r) over the unit cube.
package struct Matern52Kernel: Sendable {
    /// Per-dimension lengthscales ℓ (length d).
    package let lengthscales: [Double]
    /// Signal variance s.
    package let outputscale: Double
    /// Per-dimension kind; categorical dimensions use the Hamming term.
    package let dimensions: [DimensionKind]

    /// Scale applied to each coordinate before differencing: 1/ℓ_k (continuous) or 1 (categorical index).
    let coordinateScale: [Double]
    /// Weight of a categorical mismatch in r²: 1/ℓ_k² for categorical k, 0 otherwise.
    let mismatchWeight: [Double]
    let categoricalIndices: [Int]
    let continuousIndices: [Int]
    /// Continuous (or discrete) dimensions that are not conditional: plain (x − x')² terms.
    let plainIndices: [Int]
    /// Conditional continuous (or discrete) dimensions: arc terms (`continuousTerm`).
    let arcIndices: [Int]
    /// Per dimension, read on every coordinate (so not re-derived from `dimensions` there):
    /// whether it is conditional, and its category count (0 when it is not categorical).
    let conditional: [Bool]
    let categoryCounts: [Int]

    /// Creates the kernel; `dimensions` defaults to all continuous.
    package init(lengthscales: [Double], outputscale: Double, dimensions: [DimensionKind]? = nil) {
        let dims = dimensions ?? Array(repeating: .continuous, count: lengthscales.count)
        precondition(dims.count == lengthscales.count, "one lengthscale per dimension")
        self.lengthscales = lengthscales
        self.outputscale = outputscale
        self.dimensions = dims
        coordinateScale = zip(lengthscales, dims).map { $1.isCategorical ? 1 : 1 / $0 }
        mismatchWeight = zip(lengthscales, dims).map { $1.isCategorical ? 1 / ($0 * $0) : 0 }
        categoricalIndices = dims.indices.filter { dims[$0].isCategorical }
        continuousIndices = dims.indices.filter { !dims[$0].isCategorical }
        plainIndices = continuousIndices.filter { !dims[$0].isConditional }
        arcIndices = continuousIndices.filter { dims[$0].isConditional }
        conditional = dims.map(\.isConditional)
        categoryCounts = dims.map { dimension in
            if case .categorical(let count) = dimension.base { return count }
            return 0
        }
    }

    /// Maps a point to kernel coordinates: x_k/ℓ_k (continuous), x_k itself (conditional; the
    /// lengthscale is applied in `continuousTerm`) or the category index (categorical; −1 when
    /// inactive). Inactive continuous coordinates stay NaN.
    func scaled(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for k in 0..<x.count { out[k] = scaledCoordinate(x[k], k) }
        return out
    }

    @inline(__always)
    func scaledCoordinate(_ v: Double, _ k: Int) -> Double {
        let count = categoryCounts[k]
        guard count > 0 else { return conditional[k] ? v : v * coordinateScale[k] }
        return v.isNaN ? -1 : Double(min(count - 1, max(0, Int((v * Double(count)).rounded(.down)))))
    }

    /// The radius c of a conditional dimension's arc: how far, in units of the dimension's range,
    /// an inactive value is from every active one (0.5; measured against 1 and 0.25 in
    /// docs/benchmarks.md, "Conditional spaces").
    static let inactiveDistance = 0.5

    /// The r² term of dimension k for kernel coordinates a and b: (a − b)² for a plain dimension;
    /// the arc term of the header for a conditional one.
    @inline(__always)
    func continuousTerm(_ a: Double, _ b: Double, _ k: Int) -> Double {
        guard conditional[k] else { let t = a - b; return t * t }
        let c = Self.inactiveDistance, w = coordinateScale[k] * coordinateScale[k]
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : c * c * w }
        let half = sin((a - b) / (2 * c))
        return 4 * c * c * half * half * w
    }

    /// ∂(arc term)/∂a for conditional dimension k, in the point's own coordinates (0 where
    /// either is inactive).
    @inline(__always)
    func arcSlope(_ a: Double, _ b: Double, _ k: Int) -> Double {
        if a.isNaN || b.isNaN { return 0 }
        let c = Self.inactiveDistance
        return 2 * c * sin((a - b) / c) * coordinateScale[k] * coordinateScale[k]
    }

    /// Row-major n×d kernel coordinates of row-major n×d points.
    func scaled(rowMajor x: [Double], count n: Int) -> [Double] {
        let d = lengthscales.count
        var out = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            for k in 0..<d { out[i * d + k] = scaledCoordinate(x[i * d + k], k) }
        }
        return out
    }

    /// r² between two scaled rows (pointers to d contiguous values).
    @inline(__always)
    func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>) -> Double {
        var r2 = 0.0
        for k in plainIndices {
            let t = a[k] - b[k]
            r2 += t * t
        }
        for k in arcIndices { r2 += continuousTerm(a[k], b[k], k) }
        for k in categoricalIndices where a[k] != b[k] { r2 += mismatchWeight[k] }
        return r2
    }

    /// k(x, x') = s f(r) for two points of the unit cube.
    package func callAsFunction(_ x: [Double], _ y: [Double]) -> Double {
        let a = scaled(x), b = scaled(y)
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in outputscale * matern52(squaredDistance(ap.baseAddress!, bp.baseAddress!)) }
        }
    }

    /// Cross-covariance K(A, B): nA×nB column-major, entry (i, j) = k(a_i, b_j); inputs are scaled row-major.
    func crossCovariance(scaledA a: [Double], countA na: Int, scaledB b: [Double], countB nb: Int) -> [Double] {
        let d = lengthscales.count
        var out = [Double](repeating: 0, count: na * nb)
        guard na > 0, nb > 0 else { return out }
        let s = outputscale
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    let pa = ap.baseAddress!, pb = bp.baseAddress!
                    for j in 0..<nb {
                        let bj = pb + j * d
                        let column = op.baseAddress! + j * na
                        for i in 0..<na {
                            column[i] = s * matern52(squaredDistance(pa + i * d, bj))
                        }
                    }
                }
            }
        }
        return out
    }
}
