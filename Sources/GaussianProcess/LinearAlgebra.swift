// Dense linear algebra on small symmetric positive-definite matrices via LAPACKE/CBLAS (OpenBLAS).
//
// Notation (all matrices column-major, leading dimension = row count):
//   A: n×n symmetric positive definite,  L: n×n lower triangular with A + δI = L Lᵀ,
//   b: n (vector) or n×m (matrix of right-hand sides),  δ: jitter added to the diagonal.
// Reference: Golub & Van Loan, "Matrix Computations", 4th ed., §4.2 (Cholesky).

import CLAPACK
import Foundation

/// Errors raised by the Gaussian-process numerical core.
package enum GaussianProcessError: Error, Sendable, Equatable {
    /// Cholesky factorization failed even after adding the largest allowed diagonal jitter.
    case notPositiveDefinite(maxJitter: Double)
    /// A LAPACK routine reported a failure (`info` ≠ 0).
    case lapackFailure(routine: String, info: Int32)
    /// Inputs have inconsistent shapes or non-finite values.
    case invalidInput(String)
}

/// Forces OpenBLAS into single-threaded mode exactly once (threads only hurt at these sizes).
private let configureBLASThreads: Void = { openblas_set_num_threads(1) }()

/// Call before BLAS work on small matrices; cheap after the first call.
@inline(__always) package func ensureSingleThreadedBLAS() { _ = configureBLASThreads }

private let lowerChar = CChar(UInt8(ascii: "L"))

/// Lower Cholesky factor L (n×n, column-major) with A + δI = L Lᵀ.
package struct CholeskyFactor: Sendable {
    /// Matrix order n.
    package let order: Int
    /// Column-major n×n storage; entries above the diagonal are zero.
    package let lower: [Double]
    /// Diagonal jitter δ that was needed for the factorization to succeed (0 if none).
    package let jitter: Double

    init(order: Int, lower: [Double], jitter: Double) {
        self.order = order
        self.lower = lower
        self.jitter = jitter
    }

    /// Factorizes A (n×n column-major, lower triangle read) with jitter escalation.
    ///
    /// Tries δ = 0, then δ = 1e-10·scale, ×10 each time, up to `maxRelativeJitter`·scale,
    /// where scale = mean(diag A); throws `.notPositiveDefinite` when all attempts fail.
    ///
    /// `scale` replaces mean(diag A) when given: a Schur complement can have a diagonal near zero
    /// (or, rounded, below it) while the jitter it needs is relative to the matrix it came from.
    package static func factorize(
        _ matrix: [Double], order n: Int, maxRelativeJitter: Double = 1e-4, scale given: Double? = nil
    ) throws(GaussianProcessError) -> CholeskyFactor {
        ensureSingleThreadedBLAS()
        guard matrix.count == n * n else { throw .invalidInput("matrix has \(matrix.count) entries, expected \(n * n)") }
        if n == 0 { return CholeskyFactor(order: 0, lower: [], jitter: 0) }
        var diagonalSum = 0.0
        for i in 0..<n { diagonalSum += matrix[i * n + i] }
        let scale = max(given ?? diagonalSum / Double(n), .leastNormalMagnitude)
        guard scale.isFinite else { throw .invalidInput("non-finite matrix diagonal") }
        var jitter = 0.0
        while true {
            var work = matrix
            if jitter > 0 { for i in 0..<n { work[i * n + i] += jitter } }
            let info = work.withUnsafeMutableBufferPointer { buffer in
                LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, lowerChar, Int32(n), buffer.baseAddress, Int32(n))
            }
            if info == 0 {
                // Zero the strict upper triangle so `lower` is exactly L.
                work.withUnsafeMutableBufferPointer { w in
                    for j in 1..<max(n, 1) { for i in 0..<j { w[j * n + i] = 0 } }
                }
                return CholeskyFactor(order: n, lower: work, jitter: jitter)
            }
            if info < 0 { throw .lapackFailure(routine: "dpotrf", info: info) }
            jitter = jitter == 0 ? 1e-10 * scale : jitter * 10
            if jitter > maxRelativeJitter * scale * (1 + 1e-9) { throw .notPositiveDefinite(maxJitter: maxRelativeJitter * scale) }
        }
    }

    /// log det(A + δI) = 2 Σ log L_ii.
    package var logDeterminant: Double {
        var sum = 0.0
        for i in 0..<order { sum += log(lower[i * order + i]) }
        return 2 * sum
    }

    /// Solves L x = b in place (b: n).
    package func solveLower(_ b: inout [Double]) { solve(&b, CblasNoTrans) }

    /// Solves Lᵀ x = b in place (b: n).
    package func solveUpper(_ b: inout [Double]) { solve(&b, CblasTrans) }

    private func solve(_ b: inout [Double], _ transpose: CBLAS_TRANSPOSE) {
        precondition(b.count == order)
        guard order > 0 else { return }
        lower.withUnsafeBufferPointer { l in
            b.withUnsafeMutableBufferPointer { x in
                cblas_dtrsv(CblasColMajor, CblasLower, transpose, CblasNonUnit, Int32(order), l.baseAddress, Int32(order), x.baseAddress, 1)
            }
        }
    }

    /// Returns x = (L Lᵀ)⁻¹ b (b: n).
    package func solve(_ b: [Double]) -> [Double] {
        var x = b
        solveLower(&x)
        solveUpper(&x)
        return x
    }

    /// Solves L X = B in place for B: n×m column-major (dtrsm).
    package func solveLower(matrix b: inout [Double], columns m: Int) {
        precondition(b.count == order * m)
        guard order > 0, m > 0 else { return }
        lower.withUnsafeBufferPointer { l in
            b.withUnsafeMutableBufferPointer { x in
                cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                            Int32(order), Int32(m), 1.0, l.baseAddress, Int32(order), x.baseAddress, Int32(order))
            }
        }
    }

    /// Returns (L Lᵀ)⁻¹ as a full symmetric n×n column-major matrix (dpotri).
    package func inverse() throws(GaussianProcessError) -> [Double] {
        let n = order
        guard n > 0 else { return [] }
        var inv = lower
        let info = inv.withUnsafeMutableBufferPointer { buffer in
            LAPACKE_dpotri_work(LAPACK_COL_MAJOR, lowerChar, Int32(n), buffer.baseAddress, Int32(n))
        }
        if info != 0 { throw .lapackFailure(routine: "dpotri", info: info) }
        inv.withUnsafeMutableBufferPointer { w in
            for j in 0..<n { for i in (j + 1)..<max(n, j + 1) { w[i * n + j] = w[j * n + i] } }
        }
        return inv
    }

    /// Factor of the bordered matrix [[A, C], [Cᵀ, D]] from this factor of A, in O(n²p + p³).
    ///
    /// C: n×p column-major cross block, D: p×p column-major; with B = L⁻¹C (n×p) the new factor is
    /// [[L, 0], [Bᵀ, M]] where M Mᵀ = D + δI − BᵀB and δ is this factor's jitter.
    package func appending(cross c: [Double], block d: [Double], count p: Int) throws(GaussianProcessError) -> CholeskyFactor {
        let n = order
        guard c.count == n * p, d.count == p * p else { throw .invalidInput("bordered block shapes do not match") }
        guard p > 0 else { return self }
        var b = c
        solveLower(matrix: &b, columns: p)
        var schur = d
        for i in 0..<p { schur[i * p + i] += jitter }
        if n > 0 {
            // schur ← schur − Bᵀ B
            b.withUnsafeBufferPointer { bp in
                schur.withUnsafeMutableBufferPointer { sp in
                    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, Int32(p), Int32(n), -1.0,
                                bp.baseAddress, Int32(n), 1.0, sp.baseAddress, Int32(p))
                }
            }
        }
        // Jitter relative to the new points' own covariance, not to the Schur complement, which
        // is near zero (or, rounded, below it) for a point the model already knows almost exactly.
        var blockScale = 0.0
        for i in 0..<p { blockScale += d[i * p + i] }
        let m = try CholeskyFactor.factorize(schur, order: p, scale: blockScale / Double(p))
        let total = n + p
        var out = [Double](repeating: 0, count: total * total)
        out.withUnsafeMutableBufferPointer { o in
            for j in 0..<n {
                for i in j..<n { o[j * total + i] = lower[j * n + i] }
                for r in 0..<p { o[j * total + n + r] = b[r * n + j] }
            }
            for j in 0..<p { for i in j..<p { o[(n + j) * total + n + i] = m.lower[j * p + i] } }
        }
        return CholeskyFactor(order: total, lower: out, jitter: jitter + m.jitter)
    }
}
