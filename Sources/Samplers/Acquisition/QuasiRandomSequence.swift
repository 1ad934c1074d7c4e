// Scrambled Sobol low-discrepancy sequence on [0,1)^d.
//
// Notation:
//   V_{j,i}: i-th 32-bit direction number of dimension j (i = 1…32, MSB = first binary digit),
//   m_{j,i}: initial odd integers from the Joe–Kuo table, V_{j,i} = m_{j,i} · 2^{32−i} for i ≤ s_j,
//   recurrence for i > s_j: V_i = V_{i−s} ⊕ (V_{i−s} ≫ s) ⊕ ⊕_{k=1}^{s−1} a_k V_{i−k},
//   Gray-code order: X_0 = 0, X_n = X_{n−1} ⊕ V_{ctz(n)+1},
//   scrambling: X̃_n = M_j X_n ⊕ e_j with M_j a random 32×32 lower-triangular binary matrix with unit
//   diagonal (Matoušek's linear matrix scramble) and e_j a random digital shift.
// References: Bratley & Fox, "Algorithm 659" (TOMS 1988); Joe & Kuo, SIAM J. Sci. Comput. 30 (2008);
// Matoušek, "On the L2-discrepancy for anchored boxes", J. Complexity 14 (1998); Owen (1995).

import SeededRandom
import GaussianProcess

/// Randomized (scrambled) Sobol sequence; deterministic in `seed`, points in [0, 1)^d.
///
/// Dimensions beyond the bundled Joe–Kuo table (512) fall back to independent uniform draws.
package struct QuasiRandomSequence: Sendable {
    /// Dimension d of the generated points.
    package let dimension: Int
    /// Index of the next point.
    package private(set) var index: UInt64 = 0

    private var state: [UInt32]
    private let shifts: [UInt32]
    private let directions: [[UInt32]]  // per Sobol dimension: 32 scrambled direction numbers
    private var fallback: Xoshiro256StarStar

    /// Creates the sequence for `dimension` coordinates, scrambled with `seed`.
    package init(dimension: Int, seed: UInt64) {
        self.init(dimension: dimension, seed: seed, scrambled: true)
    }

    /// Unscrambled variant (`scrambled == false`) exists to check the direction numbers.
    init(dimension: Int, seed: UInt64, scrambled: Bool) {
        precondition(dimension >= 0, "dimension must be non-negative")
        self.dimension = dimension
        var rng = Xoshiro256StarStar(seed: seed ^ 0x5EB0_1C0B_50B0_1A1E)
        let sobolDims = min(dimension, SobolDirectionData.maxDimension)
        var dirs: [[UInt32]] = []
        dirs.reserveCapacity(sobolDims)
        var shifts: [UInt32] = []
        var offset = 0
        for j in 0..<sobolDims {
            var v = [UInt32](repeating: 0, count: 32)
            if j == 0 {
                for i in 0..<32 { v[i] = 1 << (31 - i) }
            } else {
                let records = SobolDirectionData.records
                let s = Int(records[offset]), a = records[offset + 1]
                for i in 0..<s { v[i] = records[offset + 2 + i] << (31 - i) }
                offset += 2 + s
                if s < 32 {
                    for i in s..<32 {
                        var value = v[i - s] ^ (v[i - s] >> UInt32(s))
                        if s > 1 {
                            for k in 1..<s where (a >> UInt32(s - 1 - k)) & 1 == 1 { value ^= v[i - k] }
                        }
                        v[i] = value
                    }
                }
            }
            // Linear matrix scramble: row t has a 1 on the diagonal (bit position t from the MSB)
            // and random bits at positions k < t.
            var rows = [UInt32](repeating: 0, count: 32)
            for t in 0..<32 {
                let diagonal: UInt32 = 1 << (31 - t)
                let above: UInt32 = t == 0 ? 0 : ~((1 << (32 - t)) - 1)  // MSB positions 0..<t
                rows[t] = diagonal | (scrambled ? UInt32(truncatingIfNeeded: rng.next()) & above : 0)
            }
            dirs.append(v.map { column in
                var out: UInt32 = 0
                for t in 0..<32 where (rows[t] & column).nonzeroBitCount & 1 == 1 { out |= 1 << (31 - t) }
                return out
            })
            shifts.append(scrambled ? UInt32(truncatingIfNeeded: rng.next()) : 0)
        }
        directions = dirs
        state = shifts
        self.shifts = shifts
        fallback = rng.derived(stream: 0xFA11_BAC4)
    }

    /// Returns the next point (length d, coordinates in [0, 1)).
    package mutating func next() -> [Double] {
        precondition(index < (1 << 32), "Sobol sequence exhausted (2^32 points)")
        var point = [Double](repeating: 0, count: dimension)
        for j in 0..<state.count { point[j] = Double(state[j]) * 0x1.0p-32 }
        for j in state.count..<dimension { point[j] = fallback.nextUnitDouble() }
        index += 1
        let c = index.trailingZeroBitCount
        if c < 32 { for j in 0..<state.count { state[j] ^= directions[j][c] } }
        return point
    }

    /// Returns the next `count` points, row-major (count × d).
    package mutating func nextBatch(_ count: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count * dimension)
        for _ in 0..<count { out.append(contentsOf: next()) }
        return out
    }

    /// Moves to point `target` directly (Gray-code order: X_n = e ⊕ ⊕_{b ∈ bits(n ⊕ n≫1)} V_b),
    /// so point n of a study can be computed without generating the n before it.
    package mutating func skip(to target: UInt64) {
        precondition(target < (1 << 32), "Sobol sequence has 2^32 points")
        if dimension > state.count {
            // Uniform fallback coordinates are sequential: draw the ones being skipped.
            while index < target { _ = next() }
            if index == target { return }
        }
        let gray = target ^ (target >> 1)
        for j in 0..<state.count {
            var value = shifts[j]
            for bit in 0..<32 where (gray >> UInt64(bit)) & 1 == 1 { value ^= directions[j][bit] }
            state[j] = value
        }
        index = target
    }
}
