// Numerically stable log expected improvement for minimization.
//
// Notation:
//   f ~ N(μ, σ²): posterior at x,  f*: incumbent (best observed value),  z = (f* − μ)/σ,
//   φ, Φ: standard normal pdf / cdf,  h(z) = φ(z) + zΦ(z),  EI = σ h(z),  LogEI = log h(z) + log σ,
//   erfcx(u) = exp(u²) erfc(u),  c₁ = ½ log 2π,  c₂ = ½ log(π/2),  ε: double-precision machine epsilon.
// Reference: Ament, Daulton, Eriksson, Balandat & Bakshy, "Unexpected Improvements to Expected
// Improvement for Bayesian Optimization", NeurIPS 2023, eq. (9):
//   log h(z) = log(φ(z) + zΦ(z))                                   for z > −1,
//            = −z²/2 − c₁ + log1mexp(log(erfcx(−z/√2)|z|) + c₂)     for −1/√ε < z ≤ −1,
//            = −z²/2 − c₁ − 2 log|z|                               for z ≤ −1/√ε.
// Refinement used here: for z ≤ −1000 the middle and last branches are replaced by the convergent
// head of the asymptotic series 1 − √(π/2)|z| erfcx(|z|/√2) = z⁻² − 3z⁻⁴ + 15z⁻⁶ − …, which avoids
// the cancellation inside log1mexp and reduces to the last branch as |z| → ∞.
// Derivative: d log h/dz = Φ(z)/h(z), evaluated as exp(log Φ(z) − log h(z)) with both logs computed
// with their common e^{−z²/2} factor removed.

import Foundation

/// Stable scalar special functions needed by LogEI.
package enum StableMath {
    /// Scaled complementary error function erfcx(x) = exp(x²) erfc(x), accurate for all finite x.
    package static func erfcx(_ x: Double) -> Double {
        if x < 0 {
            // erfcx(−a) = 2 exp(a²) − erfcx(a)
            let a = -x
            if a > 26.6 { return .infinity }
            return 2 * expSquare(a) - erfcx(a)
        }
        if x < 26 { return expSquare(x) * erfc(x) }
        // Asymptotic series: erfcx(x) = 1/(x√π) Σ_k (−1)^k (2k−1)!!/(2x²)^k.
        let t = 1 / (2 * x * x)
        var term = 1.0, sum = 1.0
        for k in 1...8 {
            term *= -Double(2 * k - 1) * t
            sum += term
        }
        return sum / (x * Double.pi.squareRoot())
    }

    /// exp(x²) with the rounding error of x² compensated (x² = hi + lo exactly via FMA).
    static func expSquare(_ x: Double) -> Double {
        let hi = x * x
        let lo = (-hi).addingProduct(x, x)  // exact x·x − hi
        return exp(hi) * (1 + lo)
    }

    /// log(1 − eˣ) for x < 0 (Mächler 2012 switch at −log 2).
    package static func log1mexp(_ x: Double) -> Double {
        x > -0.6931471805599453 ? log(-expm1(x)) : log1p(-exp(x))
    }

    /// log Φ(z), stable in both tails.
    package static func logNormalCDF(_ z: Double) -> Double {
        if z < -5 { return log(0.5 * erfcx(-z / 2.0.squareRoot())) - 0.5 * z * z }
        return log1p(-0.5 * erfc(z / 2.0.squareRoot()))
    }
}

/// Log expected improvement for minimization, LogEI(μ, σ; f*) = log E[max(f* − f, 0)].
package enum LogExpectedImprovement {
    private static let c1 = 0.5 * log(2 * Double.pi)
    private static let c2 = 0.5 * log(Double.pi / 2)
    private static let invSqrt2 = 1 / 2.0.squareRoot()

    /// log h(z) with h(z) = φ(z) + zΦ(z) (eq. 9 of Ament et al. 2023, with the series refinement).
    package static func logH(_ z: Double) -> Double {
        logHAndDerivative(z).value
    }

    /// (log h(z), d log h/dz = Φ(z)/h(z)).
    package static func logHAndDerivative(_ z: Double) -> (value: Double, derivative: Double) {
        if z > -1 {
            let cdf = 0.5 * erfc(-z * invSqrt2)
            let pdf = exp(-0.5 * z * z - c1)
            let h = pdf + z * cdf
            return (log(h), cdf / h)
        }
        // Shifted logs: value + z²/2 for both log h and log Φ.
        let shiftedLogH: Double
        if z > -1000 {
            shiftedLogH = -c1 + StableMath.log1mexp(log(StableMath.erfcx(-z * invSqrt2) * -z) + c2)
        } else {
            let w = 1 / (z * z)
            // z⁻² (1 − 3w + 15w² − 105w³ + 945w⁴)
            let series = w * (1 - w * (3 - w * (15 - w * (105 - 945 * w))))
            shiftedLogH = -c1 + log(series)
        }
        let shiftedLogCDF = log(0.5 * StableMath.erfcx(-z * invSqrt2))
        return (shiftedLogH - 0.5 * z * z, exp(shiftedLogCDF - shiftedLogH))
    }

    /// LogEI for minimization: log(σ h((f* − μ)/σ)); returns −∞ when σ ≤ 0 and μ ≥ f*.
    package static func value(mean: Double, standardDeviation sigma: Double, incumbent: Double) -> Double {
        evaluate(mean: mean, standardDeviation: sigma, incumbent: incumbent).value
    }

    /// LogEI and its partial derivatives: ∂/∂μ = −(1/σ) d log h/dz,  ∂/∂σ = 1/σ − (z/σ) d log h/dz.
    package static func evaluate(
        mean: Double, standardDeviation sigma: Double, incumbent: Double
    ) -> (value: Double, dMean: Double, dStandardDeviation: Double) {
        guard sigma > 0 else {
            let improvement = incumbent - mean
            return improvement > 0 ? (log(improvement), -1 / improvement, 0) : (-.infinity, 0, 0)
        }
        let z = (incumbent - mean) / sigma
        let (lh, dlh) = logHAndDerivative(z)
        return (lh + log(sigma), -dlh / sigma, (1 - z * dlh) / sigma)
    }
}
