import Foundation
import Samplers
import Testing
import TrialModel

/// The learning-curve model on curves loss(x, s) = 4 (x − 0.25)² + 0.3 / s, s = 1..12.
@Suite struct CurveModelTests {
    static let fidelity = StudySpec.Fidelity(maxSteps: 12, minSteps: 2, stopProbability: 0.05)
    static let space = SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))])
    static func spec(goal: Goal = .minimize) -> StudySpec {
        var spec = StudySpec(name: "c", metric: .init(name: "loss", goal: goal), budget: .init(trials: 50), space: space)
        spec.fidelity = fidelity
        return spec
    }
    static func loss(_ x: Double, _ s: Int) -> Double { 4 * (x - 0.25) * (x - 0.25) + 0.3 / Double(s) }
    static func curve(_ x: Double, through last: Int, sign: Double = 1) -> [Int: Double] {
        Dictionary(uniqueKeysWithValues: (1...last).map { ($0, sign * loss(x, $0)) })
    }

    /// Six finished trials, then one running trial at `running` with three reports.
    static func history(goal: Goal = .minimize) -> StudyHistory {
        let sign: Double = goal == .maximize ? -1 : 1
        var trials: [Trial] = [], reports: [TrialID: [Int: Double]] = [:]
        for (index, x) in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95].enumerated() {
            let id = TrialID(Int64(index + 1))
            trials.append(Trial(id: id, state: .completed, configuration: Configuration(["x": .double(x)]),
                                value: sign * loss(x, 12), step: 12))
            reports[id] = curve(x, through: 12, sign: sign)
        }
        var history = StudyHistory(spec: spec(goal: goal), trials: trials)
        history.reports = reports
        return history
    }

    @Test func keepsAFewStepsOfEachCurve() {
        #expect(CurveModel.keptSteps(of: Array(1...52)) == [1, 2, 4, 8, 16, 32, 52])
        #expect(CurveModel.keptSteps(of: [10, 20, 30]) == [10, 20, 30])
        #expect(CurveModel.keptSteps(of: [3]) == [3])
        #expect(CurveModel.keptSteps(of: [Int]()) == [])
        #expect(CurveModel.keptSteps(of: Array(1...10_000)).count == 15)
    }

    @Test(arguments: [Goal.minimize, .maximize])
    func aPoorCurveHasLittleChanceAndAGoodOneMuch(goal: Goal) throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 1)
        let sign: Double = goal == .maximize ? -1 : 1
        #expect(model.assess(trial: TrialID(9), configuration: Configuration(["x": .double(0.9)]), space: Self.space,
                             reports: Self.curve(0.9, through: 3, sign: sign), bestCompleted: nil) == nil,
                "no assessment before a model")
        try #require(try model.update(Self.history(goal: goal)) != nil)
        let poor = try #require(model.assess(trial: TrialID(7), configuration: Configuration(["x": .double(0.9)]), space: Self.space,
                                             reports: Self.curve(0.9, through: 3, sign: sign), bestCompleted: sign * Self.loss(0.2, 12)))
        #expect(poor.probability < 0.05, "\(poor)")
        // Values in the worse half are compressed by the warping: the poor end is predicted roughly.
        #expect(abs(poor.final.mean - sign * Self.loss(0.9, 12)) < 0.3 * Self.loss(0.9, 12), "\(poor.final)")
        #expect(poor.final.step == 12 && poor.forecast.last == poor.final && poor.forecast.first!.step == 4)
        #expect(poor.final.low <= poor.final.mean && poor.final.mean <= poor.final.high)
        #expect(poor.stopReason(at: 3).hasPrefix("model at step 3: "))
        let good = try #require(model.assess(trial: TrialID(7), configuration: Configuration(["x": .double(0.25)]), space: Self.space,
                                             reports: Self.curve(0.25, through: 3, sign: sign), bestCompleted: sign * Self.loss(0.2, 12)))
        #expect(good.probability > 0.3, "\(good)")
    }

    /// The same configuration with a lower early curve is predicted to end lower: the model
    /// learns from the running trial's own reports, not only from where it sits.
    @Test func aTrialsOwnReportsMoveItsForecast() throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 1)
        try model.update(Self.history())
        func final(shift: Double) throws -> Double {
            let reports = Self.curve(0.5, through: 6).mapValues { $0 + shift }
            return try #require(model.assess(trial: TrialID(7), configuration: Configuration(["x": .double(0.5)]),
                                             space: Self.space, reports: reports, bestCompleted: nil)).final.mean
        }
        #expect(try final(shift: -0.15) < final(shift: 0) - 0.05)
        #expect(try final(shift: 0.15) > final(shift: 0) + 0.05)
    }

    /// What the model expected of a trial before its reports is kept from its first assessment:
    /// a curve worse than expected cuts its chance well below that, one as expected does not.
    @Test func aTrialIsJudgedAgainstWhatWasExpectedOfIt() throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 1)
        try model.update(Self.history())
        // x = 0.3 ends near the best completed value (x = 0.2): its chance is fair before any report.
        let x = Configuration(["x": .double(0.3)]), best = Self.loss(0.2, 12)
        func assess(_ id: Int64, shift: Double, through last: Int) throws -> CurveAssessment {
            try #require(model.assess(trial: TrialID(id), configuration: x, space: Self.space,
                                      reports: Self.curve(0.3, through: last).mapValues { $0 + shift }, bestCompleted: best))
        }
        let expected = try assess(7, shift: 0, through: 3), worse = try assess(8, shift: 0.2, through: 3)
        let prior = try #require(expected.priorProbability)
        #expect(prior > 0.2 && prior < 0.9, "\(prior)")
        #expect(abs(try #require(worse.priorProbability) - prior) < 1e-9, "the same configuration, the same model")
        #expect(worse.probability < 0.5 * prior, "\(worse.probability) against \(prior)")
        #expect(worse.stopReason(at: 3).contains("% before its reports; predicted"), "\(worse.stopReason(at: 3))")
        #expect(expected.probability > 0.5 * prior, "\(expected.probability) against \(prior)")
        // A model refitted on the trial's own reports does not replace what was expected of it.
        var history = Self.history()
        history.trials.append(Trial(id: TrialID(8), state: .running, configuration: x))
        history.reports[TrialID(8)] = Self.curve(0.3, through: 3).mapValues { $0 + 0.2 }
        try model.update(history)
        #expect(try assess(8, shift: 0.2, through: 4).priorProbability == worse.priorProbability)
        // A trial first seen by a model that already holds its reports (its first reports came
        // before the model, as with several workers) is judged against the model without them.
        var fresh = Self.history()
        fresh.trials.append(Trial(id: TrialID(9), state: .running, configuration: x))
        fresh.reports[TrialID(9)] = Self.curve(0.3, through: 3).mapValues { $0 + 0.2 }
        try model.update(fresh)
        let late = try assess(9, shift: 0.2, through: 4)
        let latePrior = try #require(late.priorProbability), taken = try #require(late.newPrior)
        #expect(latePrior > 2 * late.probability, "\(latePrior) against \(late.probability): its poor reports are not its prior")
        #expect(abs(taken.mean - Self.loss(0.3, 12)) < 0.1, "\(taken)")
        #expect(try assess(9, shift: 0.2, through: 5).newPrior == nil, "taken once")
    }

    /// The expectation a first assessment takes is handed out once, to be stored; a model rebuilt
    /// on the trial's reports (a restarted coordinator) given it back judges the trial as before.
    @Test func aStoredExpectationOutlivesTheModel() throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 1)
        try model.update(Self.history())
        let x = Configuration(["x": .double(0.3)]), best = Self.loss(0.2, 12)
        let reports = Self.curve(0.3, through: 3).mapValues { $0 + 0.2 }
        let first = try #require(model.assess(trial: TrialID(7), configuration: x, space: Self.space, reports: reports,
                                              bestCompleted: best))
        let prior = try #require(first.newPrior)
        #expect(prior.low < prior.mean && prior.mean < prior.high, "\(prior)")
        #expect(abs(prior.mean - Self.loss(0.3, 12)) < 0.1, "\(prior)")
        let again = try #require(model.assess(trial: TrialID(7), configuration: x, space: Self.space, reports: reports,
                                              bestCompleted: best))
        #expect(again.newPrior == nil && again.priorProbability == first.priorProbability)

        var history = Self.history()
        history.trials.append(Trial(id: TrialID(7), state: .running, configuration: x))
        history.reports[TrialID(7)] = reports
        let rebuilt = CurveModel(fidelity: Self.fidelity, seed: 1)
        try rebuilt.update(history)
        rebuilt.restore(priors: [TrialID(7): prior])
        let resumed = try #require(rebuilt.assess(trial: TrialID(7), configuration: x, space: Self.space,
                                                  reports: reports, bestCompleted: best))
        let expected = try #require(first.priorProbability), restored = try #require(resumed.priorProbability)
        #expect(abs(restored - expected) < 0.02, "\(restored) against \(expected)")
        #expect(resumed.newPrior == nil)
        // Forgotten (its reports cleared for another attempt), the next first assessment takes it again.
        rebuilt.forgetPrior(of: TrialID(7))
        let retaken = try #require(rebuilt.assess(trial: TrialID(7), configuration: x, space: Self.space, reports: reports,
                                                  bestCompleted: best))
        let again7 = try #require(retaken.newPrior, "taken again, from the model without the trial's reports")
        #expect(abs(again7.mean - prior.mean) < 0.05, "\(again7) against \(prior)")
        #expect(rebuilt.assess(trial: TrialID(10), configuration: x, space: Self.space, reports: reports,
                               bestCompleted: best)?.newPrior != nil)
    }

    @Test func theSamplerChoosesAtTheMaximumAwayFromRunningTrials() throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 1)
        let sampler = GPEISampler(seed: 4, initialTrials: 3, curves: model)
        var history = Self.history()
        history.trials.append(Trial(id: TrialID(7), state: .running, configuration: Configuration(["x": .double(0.27)])))
        history.reports[TrialID(7)] = Self.curve(0.27, through: 2)
        let suggestion = try #require(try sampler.suggestNow(history))
        let x = try #require(suggestion["x"].flatMap { if case .double(let v) = $0 { v } else { nil } })
        #expect(x != 0.27)
        #expect(abs(x - 0.25) < 0.2, "suggested x = \(x)")
        #expect(model.latest != nil, "the suggestion refitted the shared model")
    }

    /// With a cost weight, the time per step of the trials that ended (from their start and end)
    /// is modelled and weighs on the choice: where the best curves were 50 times slower per step,
    /// a heavy enough weight looks elsewhere; without a weight, or without times, it does not.
    @Test func aCostWeightTurnsTheChoiceAwayFromSlowConfigurations() throws {
        var history = Self.history()
        let start = Date(timeIntervalSince1970: 1_000)
        for index in history.trials.indices {
            guard case .double(let x)? = history.trials[index].configuration["x"] else { continue }
            history.trials[index].startedAt = start
            history.trials[index].finishedAt = start.addingTimeInterval(12 * (x < 0.5 ? 50 : 1))
        }
        func suggested(weight: Double, _ history: StudyHistory) throws -> Double {
            var configuration = BayesianOptimizer.Configuration()
            configuration.costWeight = weight
            let sampler = GPEISampler(seed: 4, initialTrials: 3, configuration: configuration,
                                      curves: CurveModel(fidelity: Self.fidelity, seed: 1))
            let suggestion = try #require(try sampler.suggestNow(history))
            return try #require(suggestion["x"].flatMap { if case .double(let v) = $0 { v } else { nil } })
        }
        let plain = try suggested(weight: 0, history)
        #expect(abs(plain - 0.25) < 0.2)
        // LogEI falls by tens of units away from the best curves, so only a heavy weight outbids it.
        let costed = try suggested(weight: 30, history)
        #expect(costed > 0.5, "suggested x = \(costed), without the weight \(plain)")
        // Without times there is nothing to model: the weight changes nothing.
        #expect(try suggested(weight: 30, Self.history()) == suggested(weight: 0, Self.history()))
    }

    @Test func aSequentialStudyFindsTheMinimumAndStopsPoorTrials() throws {
        let model = CurveModel(fidelity: Self.fidelity, seed: 2)
        let sampler = GPEISampler(seed: 2, initialTrials: 3, curves: model)
        var history = StudyHistory(spec: Self.spec(), trials: [])
        var stopped = 0
        for index in 1...15 {
            let configuration = try #require(try sampler.suggestNow(history))
            guard case .double(let x)? = configuration["x"] else { Issue.record("no x"); return }
            let id = TrialID(Int64(index))
            var trial = Trial(id: id, state: .running, configuration: configuration)
            history.trials.append(trial)
            let best = history.trials.filter { $0.state == .completed }.compactMap(\.value).min()
            for step in 1...12 {
                history.reports[id, default: [:]][step] = Self.loss(x, step)
                trial.step = step
                if step >= 2, step < 12, let assessment = model.assess(trial: id, configuration: configuration, space: Self.space,
                                                                      reports: history.reports[id]!, bestCompleted: best),
                   Self.fidelity.stops(atStep: step, probability: assessment.probability,
                                       priorProbability: assessment.priorProbability) {
                    trial.state = .pruned
                    break
                }
            }
            if trial.state == .running { trial.state = .completed }
            trial.value = history.reports[id]![trial.step!]
            history.trials[index - 1] = trial
        }
        stopped = history.trials.count { $0.state == .pruned }
        let best = history.trials.filter { $0.state == .completed }.compactMap(\.value).min() ?? .infinity
        #expect(best < Self.loss(0.25, 12) + 0.01, "best \(best)")
        #expect(stopped >= 3, "stopped \(stopped) of 15")
    }

    @Test func theWarpMapsValuesBothWays() {
        let raw = [0.1, 0.5, 0.2, 5, 0.3]
        let warp = ValueWarp(raw: raw, warped: [0.1, 0.45, 0.2, 0.9, 0.3])
        for (r, w) in zip([0.1, 0.5, 0.2, 5, 0.3], [0.1, 0.45, 0.2, 0.9, 0.3]) {
            #expect(abs(warp.forward(r) - w) < 1e-12 && abs(warp.inverse(w) - r) < 1e-12)
        }
        #expect(abs(warp.forward(0.0) - 0.0) < 1e-12, "below the range: slope 1")
        #expect(warp.forward(6) > warp.forward(5), "above the range: still increasing")
        #expect(abs(warp.inverse(warp.forward(2.75)) - 2.75) < 1e-9)
    }
}
