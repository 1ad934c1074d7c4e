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

    func run() async throws {
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

    func configuration(_ x: [Double]) -> Configuration {
        Configuration(Dictionary(uniqueKeysWithValues: x.enumerated().map { ("x\($0.offset)", ParameterValue.double($0.element)) }))
    }
}
