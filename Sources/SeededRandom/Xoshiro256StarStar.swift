// xoshiro256**: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (TOMS 2021).

/// xoshiro256** generator seeded through SplitMix64; the project-wide deterministic RNG.
package struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose stream is fully determined by `seed`.
    package init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// Returns the next 64 random bits.
    package mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Returns a generator for an independent sub-stream labelled `stream` (deterministic).
    package func derived(stream: UInt64) -> Xoshiro256StarStar {
        var mixer = SplitMix64(seed: s0 ^ rotateLeft(s2, 17) ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return Xoshiro256StarStar(seed: mixer.next())
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
