// The learning-curve model of a study with a fidelity: one GP over (configuration, step).
//
// Notation: x a configuration in the unit cube (SearchSpace.encode), S = max_steps, s a step,
// t(s) = ln s / ln S in [0, 1] the step's coordinate (t(1) = 0, t(S) = 1), f(x, t) the latent
// value to minimize (negated when the metric is maximized), y* the incumbent.
//
// The kernel is the Matérn-5/2 ARD kernel of the other dimensions on (x, t): its lengthscale on t,
// fitted by maximum a posteriori like the others, is how far along a curve a value still says
// something about a later one; nothing about the shape of curves is assumed. The model learns from
// every kept point of every curve (`keptSteps`): a finished trial says what its region reaches at
// S, a stopped one how its curve went until it stopped, a running one how far it has come.

import Foundation
package import GaussianProcess
package import TrialModel
import Synchronization

/// A monotone map between the values of a study (to minimize) and the values its model was fit
/// on (after `BayesianOptimizer.modelValues`), piecewise linear between the fitted pairs and with
/// slope 1 beyond them: new reports are warped the same way, predictions unwarped for people.
package struct ValueWarp: Sendable {
    let raw: [Double]
    let warped: [Double]

    package init(raw values: [Double], warped modelled: [Double]) {
        var pairs: [(Double, Double)] = []
        for (r, w) in zip(values, modelled).sorted(by: { $0.0 < $1.0 }) where pairs.last?.0 != r { pairs.append((r, w)) }
        raw = pairs.map(\.0)
        warped = pairs.map(\.1)
    }

    /// The model value of a study value.
    package func forward(_ y: Double) -> Double { Self.interpolate(y, from: raw, to: warped) }
    /// The study value of a model value.
    package func inverse(_ w: Double) -> Double { Self.interpolate(w, from: warped, to: raw) }

    static func interpolate(_ v: Double, from xs: [Double], to ys: [Double]) -> Double {
        guard let first = xs.first, let last = xs.last else { return v }
        if v <= first { return ys[0] + (v - first) }
        if v >= last { return ys[ys.count - 1] + (v - last) }
        let upper = xs.partitioningIndex { $0 >= v }
        let (x0, x1, y0, y1) = (xs[upper - 1], xs[upper], ys[upper - 1], ys[upper])
        return x1 > x0 ? y0 + (y1 - y0) * (v - x0) / (x1 - x0) : y1
    }
}

/// The typical value at each step, a function of the step's coordinate t: the median of the
/// curves' (model) values at steps 1, 2, 4, ..., max_steps where at least 3 curves reported,
/// linear in t between them and flat beyond. The GP models each curve's departure from it, so
/// that the early steps' common level (an untrained network is poor whatever its
/// configuration) does not read as a forecast of the final value.
package struct StepBaseline: Sendable {
    let knots: [(t: Double, value: Double)]

    static let none = StepBaseline(knots: [])

    init(knots: [(t: Double, value: Double)]) { self.knots = knots }

    /// From the (t, value) points of the curves at the grid steps.
    init(grouped: [Double: [Double]]) {
        knots = grouped.filter { $0.value.count >= 3 }.sorted { $0.key < $1.key }.map { t, values in
            let sorted = values.sorted(), n = sorted.count
            return (t, n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        }
    }

    func callAsFunction(_ t: Double) -> Double {
        guard let first = knots.first, let last = knots.last else { return 0 }
        if t <= first.t { return first.value }
        if t >= last.t { return last.value }
        let upper = knots.firstIndex { $0.t >= t }!
        let (a, b) = (knots[upper - 1], knots[upper])
        return b.t > a.t ? a.value + (b.value - a.value) * (t - a.t) / (b.t - a.t) : b.value
    }
}

/// One point of a running trial's predicted continuation, in the study's units.
package struct CurveForecastPoint: Sendable, Hashable, Codable {
    package var step: Int
    package var mean: Double
    /// The central 95% band of the latent value (the better end first for neither goal: `low` ≤ `high`).
    package var low: Double
    package var high: Double
    package init(step: Int, mean: Double, low: Double, high: Double) {
        self.step = step; self.mean = mean; self.low = low; self.high = high
    }
}

/// What the model says of a running trial after its latest report.
package struct CurveAssessment: Sendable {
    /// The probability that the trial's final value beats `target` (1 while no trial has finished).
    package var probability: Double
    /// The same probability before the trial's own reports: from the model it was first assessed
    /// with, without its own points (nil before a trial has finished, or if that model failed).
    package var priorProbability: Double?
    /// The prediction behind `priorProbability` when this assessment took it (the trial's first),
    /// for the coordinator to store; nil when it was known before or there is none.
    package var newPrior: CurvePrior?
    /// Its predicted final value and 95% band, in the study's units.
    package var final: CurveForecastPoint
    /// The value to beat: the best completed value of the study (or of the warm-start trials);
    /// nil while there is none.
    package var target: Double?
    /// The predicted continuation from the step after the latest report to max_steps.
    package var forecast: [CurveForecastPoint]

    /// Why the trial stops at `step`, as `status` and the dashboard show it.
    package func stopReason(at step: Int) -> String {
        func percent(_ p: Double) -> String {
            p * 100 < 0.1 ? "under 0.1%" : "\(TrialFormatting.format((p * 1000).rounded() / 10))%"
        }
        return "model at step \(step): \(percent(probability)) chance that its final value beats \(target.map(TrialFormatting.format) ?? "-") "
            + (priorProbability.map { "(\(percent($0)) before its reports; " } ?? "(")
            + "predicted \(TrialFormatting.format(final.mean)), 95% band \(TrialFormatting.format(final.low)) to "
            + "\(TrialFormatting.format(final.high)) at step \(final.step))"
    }
}

/// The model fitted at one moment, with what it needs to judge curves that have grown since.
package struct CurveSnapshot: Sendable {
    package let model: GaussianProcessModel
    let warp: ValueWarp
    /// The steps of each trial's curve the model holds, each with its row among the model's observations.
    let included: [TrialID: [Int: Int]]
    /// The best predicted final value among the curves, in model units.
    let incumbent: Double
    /// The best completed value among the trials the model was fit on (warm-start ones included),
    /// in model units; nil when none has completed.
    let bestFinished: Double?
    /// Predicted final value (model units) of every trial with points, for the acquisition.
    let finals: [TrialID: Double]
    /// −1 when the metric is maximized (the model minimizes), else 1.
    let sign: Double
    /// The GP models departures from this (model units); add it back to a prediction.
    let baseline: StepBaseline
}

/// The GP of a study with a fidelity, refitted on all reported points as they come (`update`),
/// and read by the sampler (new trials, at max_steps) and the stopping rule (`assess`).
package final class CurveModel: Sendable {
    package let fidelity: StudySpec.Fidelity
    let optimizer: BayesianOptimizer
    let fitter: ModelFitter
    private let snapshot = Mutex<CurveSnapshot?>(nil)
    /// Each assessed trial's predicted final value before its own reports (in the study's units,
    /// so that it reads the same after a refit that warps values differently), taken at its first
    /// assessment: from the model, or, when the model already holds some of its points (a trial
    /// whose first reports came before the model, or before a refit), from the model without them.
    private let priors = Mutex<[TrialID: CurvePrior]>([:])

    /// The most points the GP is fit on (see `GPEISampler.subset`); curves are thinned first.
    package static let maxObservations = 1000

    /// Whether the GP models departures from the `StepBaseline` (true) or the values themselves.
    let usesBaseline: Bool
    /// Whether the step axis is logarithmic (t = ln s / ln S) or linear (t = (s − 1)/(S − 1)).
    let logSteps: Bool
    /// The step at which new trials are chosen: nil for max_steps; an earlier step chooses by
    /// expected improvement at that step over the curves' predicted values there (measured
    /// against max_steps in docs/benchmarks.md, "Multi-fidelity").
    package let acquisitionStep: Int?

    /// `baseline` and `logSteps` are the defaults measured in docs/benchmarks.md ("Multi-fidelity");
    /// the other settings are kept for `sextant-bench fidelity`.
    package init(fidelity: StudySpec.Fidelity, seed: UInt64, configuration: BayesianOptimizer.Configuration = .init(),
                 baseline: Bool = true, logSteps: Bool = true, acquisitionStep: Int? = nil) {
        self.fidelity = fidelity
        self.acquisitionStep = acquisitionStep
        self.usesBaseline = baseline
        self.logSteps = logSteps
        self.optimizer = BayesianOptimizer(configuration: configuration)
        self.fitter = ModelFitter(optimizer: optimizer, seed: seed ^ 0x6375_7276_6573)
    }

    /// Takes back the predictions stored of earlier assessments (a coordinator that restarts).
    package func restore(priors stored: [TrialID: CurvePrior]) {
        priors.withLock { priors in
            for (trial, prior) in stored { priors[trial] = prior }
        }
    }

    /// Drops what was expected of a trial whose reports were cleared for another attempt: its
    /// next first assessment takes it again.
    package func forgetPrior(of trial: TrialID) {
        _ = priors.withLock { $0.removeValue(forKey: trial) }
    }

    /// The last model `update` fitted, if any.
    package var latest: CurveSnapshot? { snapshot.withLock { $0 } }

    /// The coordinate t of a step on the model's step axis.
    package func coordinate(ofStep step: Int) -> Double {
        if !logSteps { return min(1, max(0, Double(step - 1) / Double(max(fidelity.maxSteps - 1, 1)))) }
        return min(1, max(0, log(Double(max(step, 1))) / log(Double(max(fidelity.maxSteps, 2)))))
    }

    /// The steps of a curve the model keeps: the first reported step in each of [1, 2), [2, 4),
    /// [4, 8), ..., and the last, so a curve of S steps gives at most log2 S + 2 points.
    package static func keptSteps(of steps: some Collection<Int>) -> [Int] {
        guard let last = steps.max() else { return [] }
        var firstInBucket: [Int: Int] = [:]
        for step in steps where step >= 1 {
            let bucket = Int.bitWidth - step.leadingZeroBitCount
            firstInBucket[bucket] = min(firstInBucket[bucket] ?? step, step)
        }
        return Set(firstInBucket.values).union([last]).sorted()
    }

    /// The configuration's point in the unit cube, as GP-EI encodes it.
    func point(of configuration: Configuration, in space: SearchSpace) -> [Double] {
        optimizer.point(of: configuration, in: space)
    }

    /// A trial's curve in the model's orientation: its reports, and a completed trial's final value
    /// at its last step (max_steps when it reported none).
    func curve(of trial: Trial, reports: [Int: Double], sign: Double) -> [Int: Double] {
        var curve = reports.filter { $0.value.isFinite }.mapValues { sign * $0 }
        if trial.state == .completed, let value = trial.value, value.isFinite {
            curve[max(trial.step ?? fidelity.maxSteps, curve.keys.max() ?? 0)] = sign * value
        }
        return curve
    }

    /// Fits the model on every kept point of every curve of the study (and the final values of
    /// warm-start trials, at max_steps), makes it the latest, and returns it; nil with fewer
    /// than 2 points.
    @discardableResult
    package func update(_ history: StudyHistory) throws -> CurveSnapshot? {
        let space = history.spec.space
        let sign: Double = history.spec.metric.goal == .maximize ? -1 : 1
        var points: [[Double]] = [], values: [Double] = [], owners: [(TrialID, Int)?] = []
        for trial in history.warmStart where trial.state == .completed {
            guard let value = trial.value, value.isFinite else { continue }
            points.append(point(of: trial.configuration, in: space) + [1])
            values.append(sign * value)
            owners.append(nil)
        }
        var configurations: [TrialID: [Double]] = [:]
        var bestCompleted: Double?
        for trial in history.trials where trial.state != .failed && trial.state != .pending {
            if trial.state == .completed, let value = trial.value, value.isFinite {
                bestCompleted = min(bestCompleted ?? .infinity, sign * value)
            }
            let curve = curve(of: trial, reports: history.reports[trial.id] ?? [:], sign: sign)
            guard !curve.isEmpty else { continue }
            let x = point(of: trial.configuration, in: space)
            configurations[trial.id] = x
            for step in Self.keptSteps(of: curve.keys) {
                points.append(x + [coordinate(ofStep: step)])
                values.append(curve[step]!)
                owners.append((trial.id, step))
            }
        }
        guard points.count >= 2 else { return nil }
        let modelled = optimizer.modelValues(values)
        let warp = ValueWarp(raw: values, warped: modelled)
        var grouped: [Double: [Double]] = [:]
        if usesBaseline {
            for (owner, value) in zip(owners, modelled) {
                let step = owner?.1 ?? fidelity.maxSteps
                if step == fidelity.maxSteps || step & (step - 1) == 0 { grouped[coordinate(ofStep: step), default: []].append(value) }
            }
        }
        let baseline = StepBaseline(grouped: grouped)
        let departures = zip(points, modelled).map { point, value in value - baseline(point[point.count - 1]) }
        let kept = GPEISampler.subset(values: modelled, limit: Self.maxObservations)
        var included: [TrialID: [Int: Int]] = [:]
        for (row, index) in kept.enumerated() {
            if let (id, step) = owners[index] { included[id, default: [:]][step] = row }
        }
        let dimensions = GPEISampler.dimensions(of: space) + [.continuous]
        let model = try fitter.fitted(observations: kept.map { points[$0] }, values: kept.map { departures[$0] },
                                      dimensions: dimensions, total: points.count)
        let ids = configurations.keys.sorted()
        let predicted = model.predictMean(ids.map { configurations[$0]! + [1] }).map { $0 + baseline(1) }
        var finals: [TrialID: Double] = [:]
        for (id, mean) in zip(ids, predicted) { finals[id] = mean }
        let warmBest = zip(owners, modelled).filter { $0.0 == nil }.map(\.1).min()
        let incumbent = min(predicted.min() ?? .infinity, warmBest ?? .infinity)
        // The warp is increasing: the best completed value warped is the best of the warped ones.
        let completed = bestCompleted.map(warp.forward)
        let bestFinished = warmBest.map { min($0, completed ?? .infinity) } ?? completed
        let fitted = CurveSnapshot(model: model, warp: warp, included: included, incumbent: incumbent, bestFinished: bestFinished,
                                   finals: finals, sign: sign, baseline: baseline)
        snapshot.withLock { $0 = fitted }
        return fitted
    }

    /// Steps at which a forecast from `step` is drawn: up to 8, spread on the step axis, ending at max_steps.
    func forecastSteps(after step: Int) -> [Int] {
        let s = fidelity.maxSteps
        guard step < s else { return [s] }
        let from = log(Double(step + 1)), to = log(Double(s))
        let steps = (0..<8).map { k in Int((exp(from + (to - from) * Double(k) / 7)).rounded()) }
        return Array(Set(steps.map { min(max($0, step + 1), s) }).union([s])).sorted()
    }

    /// What the latest model says of a running trial given its reports so far (in the study's
    /// units), with `bestCompleted` the best completed value of the study, if any. Nil before the
    /// first model or when the trial has no report yet.
    package func assess(
        trial: TrialID, configuration: Configuration, space: SearchSpace, reports: [Int: Double], bestCompleted: Double?
    ) -> CurveAssessment? {
        guard let snapshot = latest, let last = reports.keys.max() else { return nil }
        let x = point(of: configuration, in: space)
        let curve = reports.filter { $0.value.isFinite }.mapValues { snapshot.sign * $0 }
        let held = snapshot.included[trial] ?? [:]
        let new = Self.keptSteps(of: curve.keys).filter { held[$0] == nil }
        let baseline = snapshot.baseline
        func studyUnits(_ w: Double) -> Double { snapshot.sign * snapshot.warp.inverse(w) }
        func modelUnits(_ v: Double) -> Double { snapshot.warp.forward(snapshot.sign * v) }
        var newPrior: CurvePrior?
        var prior = priors.withLock { $0[trial] }
        if prior == nil {
            // Without the trial's own points (kept in the model when its first reports came before
            // this model was fitted); failing that, no prior, and the chance alone decides.
            let before = try? snapshot.model.excluding(rows: Set(held.values)).predict([x + [1]])
            if let before {
                let mean = before.mean[0] + baseline(1), sd = max(before.variance[0], 0).squareRoot()
                let a = studyUnits(mean - sd), b = studyUnits(mean + sd)
                let first = CurvePrior(mean: studyUnits(mean), low: min(a, b), high: max(a, b))
                // Another assessment of the same trial may have taken it meanwhile: the first one stays.
                prior = priors.withLock { priors in
                    if let known = priors[trial] { return known }
                    priors[trial] = first
                    newPrior = first
                    return first
                }
            }
        }
        guard let model = try? snapshot.model.conditionedOnFantasies(
            new.map { x + [coordinate(ofStep: $0)] },
            values: new.map { snapshot.warp.forward(curve[$0]!) - baseline(coordinate(ofStep: $0)) })
        else { return nil }
        let steps = forecastSteps(after: last)
        var posterior = model.predict(steps.map { x + [coordinate(ofStep: $0)] })
        for (k, step) in steps.enumerated() { posterior.mean[k] += baseline(coordinate(ofStep: step)) }
        var target = snapshot.bestFinished
        if let best = bestCompleted, best.isFinite { target = min(target ?? .infinity, modelUnits(best)) }
        let forecast = steps.indices.map { k -> CurveForecastPoint in
            let mean = posterior.mean[k], spread = 1.96 * max(posterior.variance[k], 0).squareRoot()
            let a = studyUnits(mean - spread), b = studyUnits(mean + spread)
            return CurveForecastPoint(step: steps[k], mean: studyUnits(mean), low: min(a, b), high: max(a, b))
        }
        let mean = posterior.mean[steps.count - 1], sd = max(posterior.variance[steps.count - 1], 0).squareRoot()
        func chance(_ mean: Double, _ sd: Double, of target: Double) -> Double {
            sd > 0 ? 0.5 * erfc(-((target - mean) / sd) / 2.squareRoot()) : (mean < target ? 1 : 0)
        }
        var probability = 1.0, priorProbability: Double?
        if let target {
            probability = chance(mean, sd, of: target)
            priorProbability = prior.map { chance(modelUnits($0.mean), abs(modelUnits($0.high) - modelUnits($0.low)) / 2, of: target) }
        }
        return CurveAssessment(probability: probability, priorProbability: priorProbability, newPrior: newPrior,
                               final: forecast[forecast.count - 1], target: target.map(studyUnits), forecast: forecast)
    }

}
