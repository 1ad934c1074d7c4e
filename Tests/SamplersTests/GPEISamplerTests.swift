@testable import Samplers
import Testing
import TrialModel

@Suite struct GPEISamplerTests {
    static let space = SearchSpace([
        Parameter(name: "x", domain: .float(low: -2, high: 2, log: false)),
        Parameter(name: "n", domain: .int(low: 1, high: 8, log: false)),
        Parameter(name: "opt", domain: .categorical([.string("sgd"), .string("adam")])),
    ])

    static func spec(goal: Goal = .minimize) -> StudySpec {
        StudySpec(name: "gp", metric: .init(name: "loss", goal: goal), budget: .init(trials: 40),
                  optimizer: .init(kind: .gpEI, initialTrials: 6, seed: 5), space: space)
    }

    /// Minimum 0 at x = 0.5, n = 3, opt = adam.
    static func objective(_ configuration: Configuration) -> Double {
        let x = configuration["x"]?.numericValue ?? 0, n = configuration["n"]?.numericValue ?? 0
        return (x - 0.5) * (x - 0.5) + 0.1 * (n - 3) * (n - 3) + (configuration["opt"] == .string("adam") ? 0 : 1)
    }

    static func study(_ sampler: GPEISampler, spec: StudySpec, trials count: Int) throws -> [Trial] {
        var trials: [Trial] = []
        for index in 0..<count {
            let next = try #require(try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)))
            let loss = objective(next)
            trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: next,
                                value: spec.metric.goal == .maximize ? -loss : loss))
        }
        return trials
    }

    @Test func findsTheOptimumOfAMixedSpace() throws {
        let trials = try Self.study(GPEISampler(seed: 5, initialTrials: 6), spec: Self.spec(), trials: 25)
        let best = try #require(trials.best(for: .minimize))
        #expect(try #require(best.value) < 0.05)
        #expect(best.configuration["opt"] == .string("adam") && best.configuration["n"] == .int(3))
    }

    @Test func maximizingIsMinimizingTheNegation() throws {
        let trials = try Self.study(GPEISampler(seed: 5, initialTrials: 6), spec: Self.spec(goal: .maximize), trials: 25)
        #expect(try #require(trials.best(for: .maximize)?.value) > -0.05)
    }

    @Test func sameSeedAndHistorySameSuggestion() throws {
        let history = try Self.study(GPEISampler(seed: 5, initialTrials: 6), spec: Self.spec(), trials: 10)
        let a = try GPEISampler(seed: 5, initialTrials: 6).suggestNow(StudyHistory(spec: Self.spec(), trials: history))
        let b = try GPEISampler(seed: 5, initialTrials: 6).suggestNow(StudyHistory(spec: Self.spec(), trials: history))
        #expect(a == b)
    }

    @Test func concurrentSuggestionsAreDistinctAndAvoidFailures() throws {
        let sampler = GPEISampler(seed: 5, initialTrials: 6)
        var trials = try Self.study(sampler, spec: Self.spec(), trials: 10)
        // Two failures right where the model would look next: they must not be suggested again.
        let failedPoint = try #require(try sampler.suggestNow(StudyHistory(spec: Self.spec(), trials: trials)))
        trials.append(Trial(id: TrialID(11), state: .failed, configuration: failedPoint, reason: "OOM"))
        var suggestions: [Configuration] = []
        for index in 0..<4 {
            let next = try #require(try sampler.suggestNow(StudyHistory(spec: Self.spec(), trials: trials)))
            suggestions.append(next)
            trials.append(Trial(id: TrialID(Int64(12 + index)), state: .running, configuration: next))
        }
        #expect(Set(suggestions).count == 4)
        #expect(!suggestions.contains(failedPoint))
    }

    @Test func theFirstTrialsFollowTheQuasiRandomDesign() throws {
        let spec = Self.spec()
        let gp = try Self.study(GPEISampler(seed: 5, initialTrials: 6), spec: spec, trials: 6)
        var random: [Configuration] = []
        for index in 0..<6 {
            let history = StudyHistory(spec: spec, trials: random.enumerated().map {
                Trial(id: TrialID(Int64($0.offset + 1)), state: .completed, configuration: $0.element, value: 1)
            })
            random.append(try #require(RandomSampler(seed: 5).suggestNow(history)))
            _ = index
        }
        #expect(gp.map(\.configuration) == random)
    }
}

struct ObservationSubsetTests {
    @Test func aLargeHistoryIsCutToTheBestQuarterAndAnEvenSpreadOfTheRest() {
        let values = (0..<2500).map { Double(($0 * 7919) % 2500) }
        let kept = GPEISampler.subset(values: values, limit: 1000)
        #expect(kept.count == 1000)
        #expect(kept == kept.sorted() && Set(kept).count == 1000)
        // The 250 best values are all in, whatever their position.
        let best = values.indices.sorted { values[$0] < values[$1] }.prefix(250)
        #expect(Set(best).isSubset(of: Set(kept)))
        // The latest observation is always in, and the rest covers the whole study.
        #expect(kept.last == 2499)
        #expect(kept.first! < 10)
        #expect(GPEISampler.subset(values: [3, 1, 2], limit: 1000) == [0, 1, 2])
    }
}
