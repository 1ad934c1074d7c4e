import ArgumentParser
import Foundation
import GaussianProcess
import Samplers
import TrialModel

/// Suggest latency of GP-EI against the number of completed trials, at d = 6, as a live
/// coordinator sees it: the fit is warm-started from the fit before the newest result.
struct LatencyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "GP-EI suggest latency vs. completed trials (d = 6, Hartmann-6 data, 2 trials pending)."
    )

    @Option(help: "Completed-trial counts (comma-separated).")
    var sizes = "25,100,200,500,1000,2000"

    func run() async throws {
        let function = TestFunction.hartmann6
        let space = SearchSpace(function.bounds.indices.map {
            Parameter(name: "x\($0)", domain: .float(low: 0, high: 1, log: false))
        })
        let spec = StudySpec(name: "latency", metric: .init(name: "y", goal: .minimize), budget: .init(trials: 10_000),
                             optimizer: .init(kind: .gpEI, initialTrials: 8, seed: 1), space: space)
        print("completed  suggest ms (median)  of which fit ms")
        for n in sizes.split(separator: ",").compactMap({ Int($0) }) {
            var generator = Xoshiro256StarStar(seed: UInt64(n))
            var trials: [Trial] = (0..<(n + 2)).map { index in
                let x = (0..<6).map { _ in generator.nextUnitDouble() }
                let configuration = Configuration(Dictionary(uniqueKeysWithValues: x.enumerated().map { ("x\($0.offset)", ParameterValue.double($0.element)) }))
                return Trial(id: TrialID(Int64(index + 1)), state: index < n ? .completed : .running,
                             configuration: configuration, value: index < n ? function.evaluate(x) : nil)
            }
            let repetitions = n <= 200 ? 11 : (n <= 1000 ? 5 : 3)
            var totals: [Double] = [], fits: [Double] = []
            for repetition in 0..<repetitions {
                // A sampler that has fitted everything but the newest result, as in a running study.
                let sampler = GPEISampler(seed: UInt64(repetition), initialTrials: 8)
                var older = trials
                older.remove(at: n - 1)
                _ = try sampler.suggestNow(StudyHistory(spec: spec, trials: older))
                let clock = ContinuousClock()
                let start = clock.now
                _ = try sampler.suggestNow(StudyHistory(spec: spec, trials: trials))
                totals.append((clock.now - start).seconds)
                let fitStart = clock.now
                _ = try sampler.suggestNow(StudyHistory(spec: spec, trials: trials))
                fits.append(totals.last! - (clock.now - fitStart).seconds)
            }
            trials.removeAll()
            print(String(format: "%9d  %19.1f  %15.1f", n, Summary(totals).median * 1e3, Summary(fits).median * 1e3))
        }
    }
}
