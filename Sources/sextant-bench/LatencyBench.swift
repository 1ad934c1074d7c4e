import SeededRandom
import ArgumentParser
import Foundation
import GaussianProcess
import Samplers
import TrialModel

/// Suggest latency of GP-EI against the number of completed trials, at d = 6, as a live
/// coordinator sees it: starting from a sampler that has seen n − 10 results, ten results
/// arrive one by one and each is followed by a suggestion (2 trials pending).
struct LatencyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "GP-EI suggest latency vs. completed trials (d = 6, Hartmann-6 data, 2 trials pending)."
    )

    @Option(help: "Completed-trial counts (comma-separated).")
    var sizes = "25,100,200,500,1000,2000"

    @Flag(help: "Instead: a study with a fidelity (52 steps), every trial a full learning curve; the suggestion (which refits the curve model on every reported point) and the assessment of a running trial's new report, against the number of reports.")
    var curves = false

    @Option(help: "With --curves: trials running at each suggestion, each with a 10-step curve so far (the suggestion draws their outcomes jointly).")
    var running = 0

    @Flag(help: "With --running: the running trials have reported nothing yet (a large fleet's first minutes), so they are pending points without a curve.")
    var fresh = false

    func run() async throws {
        if curves { return try runCurves() }
        let function = TestFunction.hartmann6
        let space = SearchSpace(function.bounds.indices.map {
            Parameter(name: "x\($0)", domain: .float(low: 0, high: 1, log: false))
        })
        let spec = StudySpec(name: "latency", metric: .init(name: "y", goal: .minimize), budget: .init(trials: 10_000),
                             optimizer: .init(kind: .gpEI, initialTrials: 8, seed: 1), space: space)
        print("completed  suggest ms: median  max  (10 consecutive results, each followed by a suggestion)")
        for n in sizes.split(separator: ",").compactMap({ Int($0) }) {
            var generator = Xoshiro256StarStar(seed: UInt64(n))
            let completed: [Trial] = (0..<n).map { index in
                let x = (0..<6).map { _ in generator.nextUnitDouble() }
                return Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: configuration(x),
                             value: function.evaluate(x))
            }
            let pending: [Trial] = (0..<2).map { index in
                Trial(id: TrialID(Int64(n + index + 1)), state: .running,
                      configuration: configuration((0..<6).map { _ in generator.nextUnitDouble() }))
            }
            let sampler = GPEISampler(seed: 1, initialTrials: 8)
            let first = max(3, n - 10)
            _ = try sampler.suggestNow(StudyHistory(spec: spec, trials: Array(completed.prefix(first)) + pending))
            var times: [Double] = []
            let clock = ContinuousClock()
            for count in (first + 1)...n {
                let start = clock.now
                _ = try sampler.suggestNow(StudyHistory(spec: spec, trials: Array(completed.prefix(count)) + pending))
                times.append((clock.now - start).seconds)
            }
            print(String(format: "%9d  %20.1f  %6.1f", n, Summary(times).median * 1e3, (times.max() ?? .nan) * 1e3))
        }
    }

    /// Curves of 52 steps on Hartmann-6 configurations: each trial's value decays from 3 toward its
    /// Hartmann value (at a pace that depends on the configuration), so the curves cross.
    func runCurves() throws {
        let function = TestFunction.hartmann6
        let space = SearchSpace(function.bounds.indices.map {
            Parameter(name: "x\($0)", domain: .float(low: 0, high: 1, log: false))
        })
        var spec = StudySpec(name: "latency", metric: .init(name: "y", goal: .minimize), budget: .init(trials: 100_000),
                             optimizer: .init(kind: .gpEI, initialTrials: 8, seed: 1), space: space)
        let fidelity = StudySpec.Fidelity(maxSteps: 52)
        spec.fidelity = fidelity
        print("trials  reports  suggest ms: median  max  assess ms: median  max  (5 results, each followed by a suggestion "
              + "with \(running) running; 20 assessments; first assess ms: a trial the model holds)")
        for n in sizes.split(separator: ",").compactMap({ Int($0) }) {
            var generator = Xoshiro256StarStar(seed: UInt64(n))
            var trials: [Trial] = [], reports: [TrialID: [Int: Double]] = [:]
            func curve(_ x: [Double], steps: Int) -> [Int: Double] {
                let final = function.evaluate(x), pace = 0.05 + 0.3 * x[0]
                return Dictionary(uniqueKeysWithValues: (1...steps).map { s in (s, final + (3 - final) * exp(-pace * Double(s))) })
            }
            for index in 0..<(n + 5) {
                let x = (0..<6).map { _ in generator.nextUnitDouble() }
                let id = TrialID(Int64(index + 1))
                reports[id] = curve(x, steps: 52)
                trials.append(Trial(id: id, state: .completed, configuration: configuration(x), value: reports[id]![52], step: 52))
            }
            // Trials still running at each suggestion, numbered after every completed one.
            var inFlight: [Trial] = []
            for index in 0..<running {
                let x = (0..<6).map { _ in generator.nextUnitDouble() }
                let id = TrialID(Int64(1_000_000 + index))
                if !fresh { reports[id] = curve(x, steps: 10) }
                inFlight.append(Trial(id: id, state: .running, configuration: configuration(x), step: fresh ? nil : 10))
            }
            let model = CurveModel(fidelity: fidelity, seed: 1)
            let sampler = GPEISampler(seed: 1, initialTrials: 8, curves: model)
            func history(_ count: Int) -> StudyHistory {
                var history = StudyHistory(spec: spec, trials: Array(trials.prefix(count)) + inFlight)
                history.reports = reports.filter { $0.key.rawValue <= Int64(count) || $0.key.rawValue >= 1_000_000 }
                return history
            }
            _ = try sampler.suggestNow(history(n))
            var suggest: [Double] = [], assess: [Double] = []
            let clock = ContinuousClock()
            for count in (n + 1)...(n + 5) {
                let start = clock.now
                _ = try sampler.suggestNow(history(count))
                suggest.append((clock.now - start).seconds)
            }
            // A running trial's reports, one more step each time: what the coordinator asks after each REPORT.
            let x = (0..<6).map { _ in generator.nextUnitDouble() }
            let running = curve(x, steps: 20)
            for step in 1...20 {
                let start = clock.now
                _ = model.assess(trial: TrialID(Int64(n + 100)), configuration: configuration(x), space: space,
                                 reports: running.filter { $0.key <= step }, bestCompleted: 0)
                assess.append((clock.now - start).seconds)
            }
            // The first assessment of a trial the model already holds (its expectation is taken from
            // the model without its points): the last completed trial, as if it were still running.
            let held = trials[n + 4]
            let start = clock.now
            _ = model.assess(trial: held.id, configuration: held.configuration, space: space,
                             reports: (reports[held.id] ?? [:]).filter { $0.key <= 20 }, bestCompleted: 0)
            let first = (clock.now - start).seconds
            print(String(format: "%6d  %7d  %18.1f  %6.1f  %17.2f  %6.2f  %14.1f", n + 5, (n + 5) * 52, Summary(suggest).median * 1e3,
                         (suggest.max() ?? .nan) * 1e3, Summary(assess).median * 1e3, (assess.max() ?? .nan) * 1e3, first * 1e3))
        }
    }

    func configuration(_ x: [Double]) -> Configuration {
        Configuration(Dictionary(uniqueKeysWithValues: x.enumerated().map { ("x\($0.offset)", ParameterValue.double($0.element)) }))
    }
}
