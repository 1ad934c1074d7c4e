// Limited-memory BFGS minimizer, unconstrained and box-constrained (projected).
//
// Notation:
//   x: n-vector of variables,  f(x): objective,  g = ∇f(x),  [lo, hi]: box bounds (±∞ allowed),
//   s_k = x_{k+1} − x_k,  y_k = g_{k+1} − g_k,  ρ_k = 1/(y_kᵀ s_k),  m: memory size,
//   P(x) = min(max(x, lo), hi): projection onto the box.
// Direction: two-loop recursion (Nocedal, "Updating quasi-Newton matrices with limited storage", 1980;
// Nocedal & Wright, "Numerical Optimization", Alg. 7.4) with H₀ = (sᵀy / yᵀy) I.
// Box constraints: projected L-BFGS. Coordinates at a bound whose gradient pushes outward are frozen
// (their direction entry is zeroed); the step follows the projected path x(α) = P(x + α p) and is
// accepted by the Armijo condition f(x(α)) ≤ f(x) + c₁ gᵀ(x(α) − x) with safeguarded quadratic
// backtracking. Curvature pairs with sᵀy ≤ ε‖s‖‖y‖ are skipped, which keeps H positive definite.
// Convergence: ‖projected gradient‖∞ ≤ gradientTolerance, or relative decrease ≤ functionTolerance.

import Foundation

/// Limited-memory BFGS with optional box constraints; deterministic and allocation-light.
package struct LBFGS: Sendable {
    /// Tuning knobs.
    package struct Options: Sendable {
        /// Number of stored curvature pairs m.
        package var memory: Int = 10
        /// Maximum number of iterations (accepted steps).
        package var maxIterations: Int = 100
        /// Maximum number of objective evaluations, including line-search trials.
        package var maxEvaluations: Int = 250
        /// Stop when ‖projected gradient‖∞ ≤ this value.
        package var gradientTolerance: Double = 1e-5
        /// Stop when (f_k − f_{k+1}) ≤ this · max(|f_k|, |f_{k+1}|, 1) (scipy's default factr·ε).
        package var functionTolerance: Double = 2.220446049250313e-09
        /// Armijo sufficient-decrease constant c₁.
        package var armijo: Double = 1e-4
        /// Maximum backtracking steps per line search.
        package var maxBacktracks: Int = 30
        /// Creates default options.
        package init() {}
    }

    /// Why the minimizer stopped.
    package enum Termination: Sendable, Equatable {
        /// Projected gradient below tolerance.
        case gradientConverged
        /// Relative objective decrease below tolerance.
        case functionConverged
        /// Iteration or evaluation budget exhausted.
        case budgetExhausted
        /// No step satisfied the Armijo condition.
        case lineSearchFailed
    }

    /// Outcome of a minimization.
    package struct Result: Sendable {
        /// Best point found.
        package var x: [Double]
        /// f(x).
        package var value: Double
        /// ∇f(x).
        package var gradient: [Double]
        /// Accepted steps taken.
        package var iterations: Int
        /// Objective evaluations used.
        package var evaluations: Int
        /// Reason for stopping.
        package var termination: Termination
    }

    /// Options in use.
    package var options: Options

    /// Creates a minimizer with the given options.
    package init(options: Options = Options()) { self.options = options }

    /// Minimizes an unconstrained smooth function; `objective` returns (f(x), ∇f(x)).
    package func minimize(
        from start: [Double], objective: (_ x: [Double]) -> (value: Double, gradient: [Double])
    ) -> Result {
        let inf = [Double](repeating: .infinity, count: start.count)
        return minimize(from: start, lower: inf.map { -$0 }, upper: inf, objective: objective)
    }

    /// Minimizes a smooth function over the box [lower, upper] by projected L-BFGS (see file header).
    package func minimize(
        from start: [Double], lower: [Double], upper: [Double],
        objective: (_ x: [Double]) -> (value: Double, gradient: [Double])
    ) -> Result {
        let n = start.count
        precondition(lower.count == n && upper.count == n, "bounds must match the variable count")
        var x = (0..<n).map { min(max(start[$0], lower[$0]), upper[$0]) }
        var (f, g) = objective(x)
        var evaluations = 1
        if !f.isFinite || g.count != n || !g.allSatisfy(\.isFinite) {
            return Result(x: x, value: f, gradient: g.count == n ? g : Array(repeating: 0, count: n), iterations: 0, evaluations: 1, termination: .lineSearchFailed)
        }
        let m = max(1, options.memory)
        var sHistory: [[Double]] = []
        var yHistory: [[Double]] = []
        var rhoHistory: [Double] = []
        sHistory.reserveCapacity(m); yHistory.reserveCapacity(m); rhoHistory.reserveCapacity(m)
        var alphaBuffer = [Double](repeating: 0, count: m)
        var free = [Bool](repeating: true, count: n)
        var direction = [Double](repeating: 0, count: n)
        var trial = [Double](repeating: 0, count: n)
        var iterations = 0

        func projectedGradientNorm() -> Double {
            var norm = 0.0
            for i in 0..<n {
                var gi = g[i]
                if x[i] <= lower[i] && gi > 0 { gi = 0 }
                if x[i] >= upper[i] && gi < 0 { gi = 0 }
                norm = max(norm, abs(gi))
            }
            return norm
        }

        while true {
            if projectedGradientNorm() <= options.gradientTolerance {
                return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, termination: .gradientConverged)
            }
            if iterations >= options.maxIterations || evaluations >= options.maxEvaluations {
                return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, termination: .budgetExhausted)
            }
            // Free set and two-loop recursion on the masked gradient.
            for i in 0..<n {
                free[i] = !((x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0)) && lower[i] < upper[i]
                direction[i] = free[i] ? g[i] : 0
            }
            let k = sHistory.count
            if k > 0 {
                for j in stride(from: k - 1, through: 0, by: -1) {
                    var dot = 0.0
                    for i in 0..<n where free[i] { dot += sHistory[j][i] * direction[i] }
                    let a = rhoHistory[j] * dot
                    alphaBuffer[j] = a
                    for i in 0..<n where free[i] { direction[i] -= a * yHistory[j][i] }
                }
                let sLast = sHistory[k - 1], yLast = yHistory[k - 1]
                var sy = 0.0, yy = 0.0
                for i in 0..<n { sy += sLast[i] * yLast[i]; yy += yLast[i] * yLast[i] }
                let gamma = sy / yy
                for i in 0..<n { direction[i] *= gamma }
                for j in 0..<k {
                    var dot = 0.0
                    for i in 0..<n where free[i] { dot += yHistory[j][i] * direction[i] }
                    let b = rhoHistory[j] * dot
                    let c = alphaBuffer[j] - b
                    for i in 0..<n where free[i] { direction[i] += c * sHistory[j][i] }
                }
            }
            var slope = 0.0, dnorm = 0.0, gnorm = 0.0
            for i in 0..<n {
                direction[i] = free[i] ? -direction[i] : 0
                slope += g[i] * direction[i]
                dnorm += direction[i] * direction[i]
                if free[i] { gnorm += g[i] * g[i] }
            }
            if k == 0 || !(slope < -1e-12 * dnorm.squareRoot() * gnorm.squareRoot()) {
                // Fall back to steepest descent on the free coordinates and forget curvature.
                sHistory.removeAll(keepingCapacity: true); yHistory.removeAll(keepingCapacity: true); rhoHistory.removeAll(keepingCapacity: true)
                slope = 0
                for i in 0..<n { direction[i] = free[i] ? -g[i] : 0; slope += g[i] * direction[i] }
            }
            // Initial step: 1/‖d‖ on steepest-descent steps (no curvature information yet), else 1.
            var step = sHistory.isEmpty ? min(1, 1 / max(dnormOf(direction), 1e-300)) : 1.0
            var accepted = false
            var fTrial = f
            var gTrial = g
            for _ in 0..<options.maxBacktracks {
                var predicted = 0.0
                for i in 0..<n {
                    trial[i] = min(max(x[i] + step * direction[i], lower[i]), upper[i])
                    predicted += g[i] * (trial[i] - x[i])
                }
                if predicted >= 0 { break }  // projection removed all descent
                let (ft, gt) = objective(trial)
                evaluations += 1
                if ft.isFinite && gt.count == n && gt.allSatisfy(\.isFinite) && ft <= f + options.armijo * predicted {
                    fTrial = ft; gTrial = gt; accepted = true
                    break
                }
                if evaluations >= options.maxEvaluations { break }
                // Safeguarded quadratic interpolation along the (projected) path.
                var next = 0.5 * step
                if ft.isFinite {
                    let denominator = 2 * (ft - f - predicted)
                    if denominator > 0 { next = min(max(-predicted * step / denominator, 0.1 * step), 0.5 * step) }
                } else {
                    next = 0.1 * step
                }
                step = next
            }
            if !accepted {
                if !sHistory.isEmpty {
                    // Retry once from steepest descent before giving up.
                    sHistory.removeAll(keepingCapacity: true); yHistory.removeAll(keepingCapacity: true); rhoHistory.removeAll(keepingCapacity: true)
                    continue
                }
                return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, termination: .lineSearchFailed)
            }
            var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
            var sy = 0.0, ss = 0.0, yy = 0.0
            for i in 0..<n {
                s[i] = trial[i] - x[i]; y[i] = gTrial[i] - g[i]
                sy += s[i] * y[i]; ss += s[i] * s[i]; yy += y[i] * y[i]
            }
            if sy > 2.220446049250313e-16 * (ss * yy).squareRoot() && sy > 0 {
                if sHistory.count == m { sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst() }
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
            }
            let decrease = f - fTrial
            x = trial; f = fTrial; g = gTrial
            iterations += 1
            if decrease <= options.functionTolerance * max(abs(f), abs(f + decrease), 1) {
                return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, termination: .functionConverged)
            }
        }
    }
}

@inline(__always)
private func dnormOf(_ v: [Double]) -> Double {
    var s = 0.0
    for e in v { s += e * e }
    return s.squareRoot()
}
