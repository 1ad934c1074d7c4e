import Foundation
@testable import Samplers
import Testing
import TrialModel

@Suite struct OutputWarpingTests {
    @Test func valuesWithoutAGapAreLeftAlone() {
        let spread = (0..<40).map { Double($0 * $0 % 37) / 3 }
        #expect(OutputWarping.compressingOutliers(spread, gap: 10) == spread)
        // A heavy but continuous tail (each value 3x the one before) has no gap 10x the range below it.
        let tail = (0..<20).map { pow(3, Double($0)) }
        #expect(OutputWarping.compressingOutliers(tail, gap: 10) == tail)
        #expect(OutputWarping.compressingOutliers([1, 2, 1e9], gap: 10) == [1, 2, 1e9], "too few: unchanged")
        #expect(OutputWarping.compressingOutliers([1, 2, 3, 1e9], gap: .infinity) == [1, 2, 3, 1e9], "off")
    }

    @Test func aBandBeyondAGapIsMovedNextToTheRestKeepingTheOrder() throws {
        // The rest spans 1...20 (range 19); the band 1e9...1e12 lies beyond a gap of ~1e9.
        let values = [7, 1e12, 1, 20, 1e9, 3, 5e9, 12]
        let warped = OutputWarping.compressingOutliers(values, gap: 10)
        #expect(warped[0] == 7 && warped[2] == 1 && warped[3] == 20 && warped[5] == 3 && warped[7] == 12)
        #expect(warped[4] == 20 + 19, "the band starts one range above the rest")
        #expect(abs(warped[1] - (20 + 19 * (1 + log(2)))) < 1e-9, "and spans ln 2 of it")
        #expect(warped[4] < warped[6] && warped[6] < warped[1])
        // Two gaps qualify (4 → 50 and 50 → 1e9); the band starts at the wider one, relative to the range below.
        #expect(OutputWarping.compressingOutliers([1, 2, 3, 4, 50, 1e9], gap: 10) == [1, 2, 3, 4, 50, 99])
    }

    @Test func halfRankKeepsTheBetterHalfAndTheOrder() {
        let values: [Double] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 1e6]
        let warped = OutputWarping.halfRank(values)
        let median = 4.5
        for (y, w) in zip(values, warped) {
            if y <= median { #expect(w == y) } else { #expect(w <= y && w > median) }
        }
        for i in values.indices { for j in values.indices where values[i] < values[j] { #expect(warped[i] < warped[j]) } }
        #expect(warped[11] < 10, "the huge value now sits a few spreads above the median")
    }

    @Test func normalQuantileMatchesKnownValues() {
        #expect(abs(OutputWarping.normalQuantile(0.975) - 1.959963984540054) < 1e-9)
        #expect(abs(OutputWarping.normalQuantile(0.8413447460685429) - 1) < 1e-9)
        #expect(abs(OutputWarping.normalQuantile(0.0013498980316301) + 3) < 1e-8)
        #expect(OutputWarping.normalQuantile(0.5) == 0)
    }

    /// Branin whose upper-right part "diverges" to losses near 1e7, as a too-high learning rate
    /// does. Standardized raw, those values flatten the rest (0 of 10 seeds get there); with the
    /// band moved next to the rest, GP-EI (through the sampler the coordinator uses) reaches
    /// 0.397887 + 0.05 in 40 trials for ≥ 8 of 10 seeds.
    @Test func aDivergingRegionDoesNotBlindTheModel() async throws {
        let space = SearchSpace([
            Parameter(name: "x0", domain: .float(low: -5, high: 10, log: false)),
            Parameter(name: "x1", domain: .float(low: 0, high: 15, log: false)),
        ])
        func loss(_ c: Configuration) -> Double {
            let x = c["x0"]?.numericValue ?? .nan, y = c["x1"]?.numericValue ?? .nan
            if x + y > 14 { return 1e6 * (1 + x + y) }
            return branin([(x + 5) / 15, y / 15])
        }
        // One seed after another, yielding after each suggestion: the suites running beside this one
        // (coordinator actors on the same small thread pool) are not starved.
        var successes = 0
        for seed in 0..<10 {
            let spec = StudySpec(name: "diverging", metric: .init(name: "loss", goal: .minimize),
                                 budget: .init(trials: 40),
                                 optimizer: .init(kind: .gpEI, initialTrials: 8, seed: UInt64(seed)), space: space)
            let sampler = GPEISampler(seed: UInt64(seed), initialTrials: 8)
            var trials: [Trial] = []
            for index in 0..<40 {
                let next = try #require(try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)))
                trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: next, value: loss(next)))
                await Task.yield()
            }
            if trials.compactMap(\.value).min()! - 0.397887 < 0.05 { successes += 1 }
        }
        #expect(successes >= 8, "\(successes) of 10 seeds reached the minimum next to the diverging region")
    }
}
