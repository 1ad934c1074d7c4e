import Foundation
@testable import Samplers
import Testing
import TrialModel

@Suite struct OutputWarpingTests {
    @Test func ordinaryValuesAreLeftAlone() {
        let values = (0..<40).map { Double($0 * $0 % 37) / 3 }
        #expect(OutputWarping.compressingOutliers(values, fence: 3) == values)
        #expect(OutputWarping.compressingOutliers([1, 1, 1, 1e9], fence: 3) == [1, 1, 1, 1e9], "no spread: unchanged")
        #expect(OutputWarping.compressingOutliers([1, 2, 1e9], fence: 3) == [1, 2, 1e9], "too few: unchanged")
    }

    @Test func aDivergedValueIsPulledToTheFenceKeepingTheOrder() throws {
        let values = (1...20).map(Double.init) + [50, 1e9, 1e12]
        let warped = OutputWarping.compressingOutliers(values, fence: 3)
        // Quartiles of these 23 values (linear interpolation): 6.5 and 17.5; the fence is 17.5 + 3 · 11.
        let fence = 50.5
        #expect(Array(warped.prefix(21)) == Array(values.prefix(21)), "50 is inside the fence")
        #expect(abs(warped[21] - (fence + 11 * log1p((1e9 - fence) / 11))) < 1e-9)
        #expect(warped[21] > fence && warped[22] < fence + 11 * 26)
        #expect(warped[20] < warped[21] && warped[21] < warped[22])
        #expect(warped.min() == values.min())
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
    /// does. Standardized raw, those values flatten the rest; with outliers compressed, GP-EI
    /// (through the sampler the coordinator uses) reaches 0.397887 + 0.05 in 40 trials for ≥ 8 of 10 seeds.
    @Test func aDivergingRegionDoesNotBlindTheModel() async throws {
        let space = SearchSpace([
            Parameter(name: "x0", domain: .float(low: -5, high: 10, log: false)),
            Parameter(name: "x1", domain: .float(low: 0, high: 15, log: false)),
        ])
        func loss(_ c: Configuration) -> Double {
            let x = c["x0"]?.numericValue ?? .nan, y = c["x1"]?.numericValue ?? .nan
            if x + y > 14 { return 1e6 * (1 + x + y) }
            let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
            let u: Double = y - b * x * x + c * x - 6
            return u * u + 10 * (1 - t) * cos(x) + 10
        }
        let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for seed in 0..<10 {
                group.addTask {
                    let spec = StudySpec(name: "diverging", metric: .init(name: "loss", goal: .minimize),
                                         budget: .init(trials: 40),
                                         optimizer: .init(kind: .gpEI, initialTrials: 8, seed: UInt64(seed)), space: space)
                    let sampler = GPEISampler(seed: UInt64(seed), initialTrials: 8)
                    var trials: [Trial] = []
                    for index in 0..<40 {
                        let next = try #require(try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)))
                        trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: next, value: loss(next)))
                    }
                    return trials.compactMap(\.value).min()! - 0.397887 < 0.05
                }
            }
            var count = 0
            for try await ok in group where ok { count += 1 }
            return count
        }
        #expect(successes >= 8, "\(successes) of 10 seeds reached the minimum next to the diverging region")
    }
}
