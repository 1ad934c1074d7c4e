import Foundation
@testable import Samplers
import Testing
import TrialModel

/// GP-EI given the completed trials of an earlier study (`StudyHistory.warmStart`).
@Suite struct WarmStartSamplerTests {
    static let space = SearchSpace([
        Parameter(name: "x1", domain: .float(low: -5, high: 10, log: false)),
        Parameter(name: "x2", domain: .float(low: 0, high: 15, log: false)),
    ])

    static func spec(seed: UInt64) -> StudySpec {
        StudySpec(name: "branin", metric: .init(name: "y", goal: .minimize), budget: .init(trials: 30),
                  optimizer: .init(kind: .gpEI, initialTrials: 8, seed: seed), space: space)
    }

    /// Branin, minimum 0.397887 at three points.
    static func branin(_ configuration: Configuration) -> Double {
        let x1 = configuration["x1"]?.numericValue ?? 0, x2 = configuration["x2"]?.numericValue ?? 0
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        return pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * cos(x1) + 10
    }

    /// Trials of a sequential study on Branin, stopped once a value is within `regret` of the minimum.
    static func study(seed: UInt64, trials count: Int, warmStart: [Trial] = [], regret: Double = 0) throws -> [Trial] {
        let sampler = GPEISampler(seed: seed, initialTrials: 8)
        var trials: [Trial] = []
        for index in 0..<count {
            var history = StudyHistory(spec: spec(seed: seed), trials: trials)
            history.warmStart = warmStart
            let next = try #require(try sampler.suggestNow(history))
            trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: next, value: branin(next)))
            if branin(next) - 0.397887 < regret { break }
        }
        return trials
    }

    @Test func enoughWarmTrialsSkipTheQuasiRandomDesign() throws {
        let warm = try Self.study(seed: 100, trials: 10)
        let random = RandomSampler(seed: 1).suggestNow(StudyHistory(spec: Self.spec(seed: 1), trials: []))
        var history = StudyHistory(spec: Self.spec(seed: 1), trials: [])
        #expect(try GPEISampler(seed: 1, initialTrials: 8).suggestNow(history) == random)
        history.warmStart = warm
        let modelled = try #require(try GPEISampler(seed: 1, initialTrials: 8).suggestNow(history))
        #expect(modelled != random)
        // The model's first suggestion is already better than most of what it was shown.
        let below = warm.count { $0.value! > Self.branin(modelled) }
        #expect(below >= 5)
    }

    /// The check: a warm-started GP study on the same function reaches a target in fewer
    /// trials than a cold one (Branin, regret 0.05, warm-started from 30 trials of another seed).
    @Test func aWarmStartedStudyReachesTheTargetInFewerTrials() throws {
        var cold: [Int] = [], warm: [Int] = []
        for seed in UInt64(1)...3 {
            let previous = try Self.study(seed: seed + 100, trials: 30)
            cold.append(try Self.study(seed: seed, trials: 30, regret: 0.05).count)
            warm.append(try Self.study(seed: seed, trials: 30, warmStart: previous, regret: 0.05).count)
        }
        #expect(warm.reduce(0, +) * 2 <= cold.reduce(0, +), "cold \(cold), warm \(warm)")
        #expect(zip(warm, cold).allSatisfy { $0 <= $1 }, "cold \(cold), warm \(warm)")
    }
}
