import Foundation

extension RandomNumberGenerator {
    /// Uniform double in [0, 1) with 53 random bits.
    @inlinable
    package mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal deviate (Box–Muller, one value per call).
    package mutating func nextGaussian() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= 0 { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
