// SplitMix64: Steele, Lea & Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014).

/// SplitMix64 generator; used to expand a 64-bit seed into generator state.
package struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// Current 64-bit state.
    package private(set) var state: UInt64

    /// Creates a generator whose stream is fully determined by `seed`.
    package init(seed: UInt64) { state = seed }

    /// Returns the next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
