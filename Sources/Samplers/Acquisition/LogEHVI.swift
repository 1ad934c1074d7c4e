// Log expected hypervolume improvement, times the probability of feasibility, for independent GPs.
//
// Notation (everything minimized, in the models' units):
//   y_k ~ N(μ_k, σ_k²): objective k at x (one GP per objective),  B: the boxes [l, u) of the region
//   the current front does not dominate (`NondominatedRegion`),  h(z) = φ(z) + zΦ(z).
// Hypervolume improvement is Σ_B Π_k (u_k − max(y_k, l_k))⁺, and with independent objectives its
// expectation factorizes box by box:
//   E[(u − max(y, l))⁺] = σ (h((u − μ)/σ) − h((l − μ)/σ))      (the second term is 0 for l = −∞),
// since E[(c − y)⁺] = σ h((c − μ)/σ) and (u − max(y, l))⁺ = (u − y)⁺ − (l − y)⁺ when l < u. With one
// objective this is expected improvement over the best feasible value. Everything is summed in log
// space (log h from `LogExpectedImprovement.logH`), so far from the front the acquisition still
// ranks points instead of rounding to 0 (as LogEI, Ament et al. 2023).
// Constraints: c_j ~ N(μ_j, σ_j²) (one GP per constraint), P(feasible) = Π_j P(a_j ≤ c_j ≤ b_j), in log
// space; the acquisition is log EHVI + Σ_j log P_j, or Σ_j log P_j alone while no point is feasible.

import Foundation
package import GaussianProcess
package import TrialModel

/// What `AcquisitionOptimizer` maximizes: values for a batch of points and a value with its gradient at one.
package protocol AcquisitionFunction: Sendable {
    /// The number of coordinates of a point.
    var dimension: Int { get }
    /// a(x_j) for m row-major points (m×d).
    func values(rowMajor points: [Double], count m: Int) -> [Double]
    /// a(x) and ∇a(x) (length d) at one point.
    func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double])
}

extension LogEIAcquisition: AcquisitionFunction {
    package var dimension: Int { model.dimension }
}

/// log EHVI × P(feasible) over independent objective and constraint GPs (see the file's header).
package struct LogEHVIAcquisition: AcquisitionFunction {
    /// A constraint's model and its feasible interval, in the model's units.
    package struct Bound: Sendable {
        package var model: GaussianProcessModel
        package var lower: Double?
        package var upper: Double?
        package init(model: GaussianProcessModel, lower: Double?, upper: Double?) {
            self.model = model; self.lower = lower; self.upper = upper
        }
    }

    package let objectives: [GaussianProcessModel]
    /// The region the front does not dominate; nil while no point is feasible (then only the
    /// probability of feasibility counts).
    package let region: NondominatedRegion?
    package let bounds: [Bound]
    /// Below this probability of feasibility, each unit of log probability lost costs `marginPenalty`
    /// more (0: no margin): the suggestion keeps a margin inside the believed feasible region.
    package let minimumFeasibility: Double
    static let marginPenalty = 20.0
    package var dimension: Int { (objectives.first ?? bounds[0].model).dimension }

    package init(objectives: [GaussianProcessModel], region: NondominatedRegion?, bounds: [Bound], minimumFeasibility: Double = 0) {
        precondition(!objectives.isEmpty || !bounds.isEmpty)
        self.objectives = objectives; self.region = region; self.bounds = bounds
        self.minimumFeasibility = minimumFeasibility
    }

    /// What log P(feasible) adds to the acquisition, and its slope: log P, less `marginPenalty` per
    /// unit below log `minimumFeasibility` once a point is feasible (continuous at the minimum).
    func feasibilityTerm(_ logP: Double) -> (value: Double, slope: Double) {
        guard minimumFeasibility > 0, region != nil, logP < log(minimumFeasibility) else { return (logP, 1) }
        let slope = 1 + Self.marginPenalty
        return (slope * logP + (slope - 1) * -log(minimumFeasibility), slope)
    }

    /// Standard deviations are floored here: at an observed point a nearly noise-free GP gives ~0.
    static let minimumStandardDeviation = 1e-9

    package func values(rowMajor points: [Double], count m: Int) -> [Double] {
        let objectivePosteriors = region == nil ? [] : objectives.map { $0.predict(rowMajor: points, count: m) }
        let boundPosteriors = bounds.map { $0.model.predict(rowMajor: points, count: m) }
        return (0..<m).map { i in
            var total = 0.0, logP = 0.0
            if let region {
                let means = objectivePosteriors.map { $0.mean[i] }
                let deviations = objectivePosteriors.map { max($0.variance[i], 0).squareRoot() }
                total += Self.logEHVI(means: means, deviations: deviations, region: region, gradients: false).value
            }
            for (bound, posterior) in zip(bounds, boundPosteriors) {
                logP += Self.logFeasibility(
                    mean: posterior.mean[i], deviation: max(posterior.variance[i], 0).squareRoot(), bound: bound).value
            }
            return total + feasibilityTerm(logP).value
        }
    }

    package func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
        var gradient = [Double](repeating: 0, count: x.count)
        var total = 0.0
        func add(_ posterior: PointPosterior, dMean: Double, dDeviation: Double) {
            for j in 0..<x.count {
                gradient[j] += dMean * posterior.meanGradient[j] + dDeviation * posterior.standardDeviationGradient[j]
            }
        }
        if let region {
            let posteriors = objectives.map { $0.predictWithGradient(at: x) }
            let e = Self.logEHVI(means: posteriors.map(\.mean), deviations: posteriors.map(\.standardDeviation),
                                 region: region, gradients: true)
            total += e.value
            if e.value.isFinite {
                for (k, posterior) in posteriors.enumerated() { add(posterior, dMean: e.dMeans[k], dDeviation: e.dDeviations[k]) }
            }
        }
        var parts: [(posterior: PointPosterior, f: (value: Double, dMean: Double, dDeviation: Double))] = []
        for bound in bounds {
            let posterior = bound.model.predictWithGradient(at: x)
            parts.append((posterior, Self.logFeasibility(mean: posterior.mean, deviation: posterior.standardDeviation, bound: bound)))
        }
        let logP = parts.reduce(0) { $0 + $1.f.value }
        let (term, slope) = feasibilityTerm(logP)
        total += term
        for part in parts where part.f.value.isFinite {
            add(part.posterior, dMean: slope * part.f.dMean, dDeviation: slope * part.f.dDeviation)
        }
        return (total, gradient.map { $0.isFinite ? $0 : 0 })
    }

    /// log EHVI and, when asked, its derivatives in each objective's mean and standard deviation.
    static func logEHVI(means: [Double], deviations: [Double], region: NondominatedRegion, gradients: Bool)
        -> (value: Double, dMeans: [Double], dDeviations: [Double])
    {
        let m = means.count
        let sigma = deviations.map { max($0, minimumStandardDeviation) }
        let logSigma = sigma.map { log($0) }
        // Per box: log of its expected volume, and d log(volume)/dμ_k, d log(volume)/dσ_k.
        var logVolumes: [Double] = []
        logVolumes.reserveCapacity(region.boxes.count)
        var dMeanTerms: [[Double]] = [], dDeviationTerms: [[Double]] = []
        for box in region.boxes {
            var logVolume = 0.0
            var dMean = [Double](repeating: 0, count: gradients ? m : 0)
            var dDeviation = [Double](repeating: 0, count: gradients ? m : 0)
            for k in 0..<m {
                let upper = (box.upper[k] - means[k]) / sigma[k]
                let (logHUpper, slopeUpper) = LogExpectedImprovement.logHAndDerivative(upper)
                if box.lower[k] == -.infinity {
                    logVolume += logSigma[k] + logHUpper
                    if gradients {
                        dMean[k] = -slopeUpper / sigma[k]
                        dDeviation[k] = (1 - upper * slopeUpper) / sigma[k]
                    }
                } else {
                    let lower = (box.lower[k] - means[k]) / sigma[k]
                    let (logHLower, slopeLower) = LogExpectedImprovement.logHAndDerivative(lower)
                    let logDifference = logHUpper + StableMath.log1mexp(min(logHLower - logHUpper, 0))
                    logVolume += logSigma[k] + logDifference
                    if gradients {
                        // Φ(z)/(h_u − h_l) = (Φ(z)/h(z)) · h(z)/(h_u − h_l), each factor stable.
                        let shareUpper = slopeUpper * exp(logHUpper - logDifference)
                        let shareLower = slopeLower * exp(logHLower - logDifference)
                        dMean[k] = -(shareUpper - shareLower) / sigma[k]
                        dDeviation[k] = (1 - (upper * shareUpper - lower * shareLower)) / sigma[k]
                    }
                }
            }
            logVolumes.append(logVolume)
            if gradients { dMeanTerms.append(dMean); dDeviationTerms.append(dDeviation) }
        }
        guard let top = logVolumes.max(), top.isFinite else {
            return (-.infinity, [Double](repeating: 0, count: m), [Double](repeating: 0, count: m))
        }
        let weights = logVolumes.map { exp($0 - top) }
        let sum = weights.reduce(0, +)
        let value = top + log(sum)
        guard gradients else { return (value, [], []) }
        var dMeans = [Double](repeating: 0, count: m), dDeviations = [Double](repeating: 0, count: m)
        for (b, weight) in weights.enumerated() where weight > 0 {
            let share = weight / sum
            for k in 0..<m {
                let dm = dMeanTerms[b][k], ds = dDeviationTerms[b][k]
                if dm.isFinite { dMeans[k] += share * dm }
                if ds.isFinite { dDeviations[k] += share * ds }
            }
        }
        return (value, dMeans, dDeviations)
    }

    /// log P(lower ≤ c ≤ upper) for c ~ N(mean, deviation²), with its derivatives in mean and deviation.
    static func logFeasibility(mean: Double, deviation: Double, bound: Bound)
        -> (value: Double, dMean: Double, dDeviation: Double)
    {
        let sigma = max(deviation, minimumStandardDeviation)
        let a = bound.lower.map { ($0 - mean) / sigma } ?? -.infinity
        let b = bound.upper.map { ($0 - mean) / sigma } ?? .infinity
        // P = Φ(b) − Φ(a) = Φ(−a) − Φ(−b): the form whose terms are small loses nothing.
        let logP: Double
        if a == -.infinity {
            logP = StableMath.logNormalCDF(b)
        } else if b == .infinity {
            logP = StableMath.logNormalCDF(-a)
        } else if a > 0 {
            let high = StableMath.logNormalCDF(-a), low = StableMath.logNormalCDF(-b)
            logP = high + StableMath.log1mexp(min(low - high, 0))
        } else {
            let high = StableMath.logNormalCDF(b), low = StableMath.logNormalCDF(a)
            logP = high + StableMath.log1mexp(min(low - high, 0))
        }
        guard logP.isFinite else { return (logP, 0, 0) }
        // dP/dμ = (φ(a) − φ(b))/σ,  dP/dσ = (aφ(a) − bφ(b))/σ; divided by P in log space.
        func share(_ z: Double) -> Double { z.isFinite ? exp(-0.5 * z * z - 0.5 * log(2 * Double.pi) - logP) : 0 }
        let pa = share(a), pb = share(b)
        let za = a.isFinite ? a * pa : 0, zb = b.isFinite ? b * pb : 0
        return (logP, (pa - pb) / sigma, (za - zb) / sigma)
    }
}
