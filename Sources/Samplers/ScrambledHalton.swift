import Foundation

/// Scrambled Halton points in `[0,1)^d`, addressable by index.
///
/// Dimension j uses the j-th prime as base and a seeded random permutation of its
/// digits (random-permutation scrambling) plus a random shift, which removes the correlation between
/// dimensions that plain Halton shows for larger primes. `point(i)` depends only on
/// `(seed, d, i)`, so a resumed study continues the same sequence.
public struct ScrambledHalton: Sendable {
    public let dimension: Int
    private let bases: [Int]
    private let permutations: [[Int]]
    private let shifts: [Double]

    public init(dimension: Int, seed: UInt64) {
        self.dimension = dimension
        bases = Array(Self.primes(count: dimension))
        var generator = SplitMix64(seed: seed ^ 0x5EED_4A17_0000_0001)
        permutations = bases.map { base in Array(0..<base).shuffled(using: &generator) }
        shifts = bases.map { _ in Double.random(in: 0..<1, using: &generator) }
    }

    /// The i-th point.
    public func point(_ index: Int) -> [Double] {
        (0..<dimension).map { radicalInverse(index, dimension: $0) }
    }

    private func radicalInverse(_ index: Int, dimension j: Int) -> Double {
        let base = bases[j], permutation = permutations[j]
        let inverseBase = 1.0 / Double(base)
        // Enough digits to reach double precision.
        let digits = Int((53.0 / log2(Double(base))).rounded(.up))
        var n = index, scale = inverseBase, sum = 0.0
        for _ in 0..<digits {
            sum += Double(permutation[n % base]) * scale
            n /= base
            scale *= inverseBase
        }
        // A random shift modulo 1 (Cranley-Patterson rotation) keeps points off the corners.
        let shifted = sum + shifts[j]
        return min(shifted >= 1 ? shifted - 1 : shifted, 1.0.nextDown)
    }

    static func primes(count: Int) -> [Int] {
        var result: [Int] = []
        var candidate = 2
        while result.count < count {
            if result.allSatisfy({ candidate % $0 != 0 || $0 * $0 > candidate }) { result.append(candidate) }
            candidate += 1
        }
        return result
    }
}
