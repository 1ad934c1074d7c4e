@testable import Dashboard
import Foundation
import Testing
import TrialModel

struct PlotAxisTests {
    static func labels(_ ticks: [PlotAxis.Tick]) -> [String] { ticks.map(\.label) }

    /// A tick value is round: 1, 2 or 5 times a power of ten, times an integer.
    static func isRound(_ value: Double, step: Double) -> Bool {
        let k = value / step
        return abs(k - k.rounded()) < 1e-6
    }

    @Test func linearTicksStepByOneTwoOrFiveTimesAPowerOfTen() {
        #expect(Self.labels(PlotAxis.linearTicks(low: 0, high: 1)) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(Self.labels(PlotAxis.linearTicks(low: -3.7, high: 12.2)) == ["0", "5", "10"])
        #expect(Self.labels(PlotAxis.linearTicks(low: 0.4123, high: 0.4987)) == ["0.42", "0.44", "0.46", "0.48"])
        #expect(Self.labels(PlotAxis.linearTicks(low: 1200, high: 9800)) == ["2000", "4000", "6000", "8000"])
        // 3 / 10, not 3 * 0.1: the values themselves are the doubles nearest the labels.
        #expect(PlotAxis.linearTicks(low: 0, high: 1).map(\.value)[3] == 0.6)
        #expect(PlotAxis.linearTicks(low: -1, high: 1).contains { $0.value == 0 && $0.value.sign == .plus })
    }

    @Test func logTicksAreOneTwoFiveTimesPowersOfTenOverADecadeOrTwo() {
        #expect(Self.labels(PlotAxis.logarithmicTicks(low: 0.1, high: 1)) == ["0.1", "0.2", "0.5", "1"])
        #expect(Self.labels(PlotAxis.logarithmicTicks(low: 0.03, high: 4)) == ["0.05", "0.1", "0.2", "0.5", "1", "2"])
    }

    @Test func aLogAxisWithinLessThanADecadeGetsRoundLinearSteps() {
        // The values of the issue: not 2.06254 and 0.958315 but round numbers between them.
        let axis = PlotAxis(covering: [0.958315, 1.4, 2.06254], logarithmic: true)
        #expect(axis.isLogarithmic)
        #expect(Self.labels(axis.ticks) == ["1", "1.5", "2"])
        #expect(axis.ticks.allSatisfy { $0.value >= axis.low && $0.value <= axis.high })
    }

    @Test func valuesSpanningManyDecadesGetEveryFewDecades() {
        let axis = PlotAxis(covering: [1e-12, 3e-7, 0.4, 800], logarithmic: true)
        let labels = Self.labels(axis.ticks)
        #expect(labels == ["1e-10", "1e-5", "1"], "\(labels)")
        let wide = PlotAxis.logarithmicTicks(low: 0.003, high: 12)
        #expect(Self.labels(wide) == ["0.01", "0.1", "1", "10"])
        for tick in PlotAxis.logarithmicTicks(low: 1e-30, high: 1e30) {
            let exponent = log10(tick.value)
            #expect(abs(exponent - exponent.rounded()) < 1e-9, "\(tick)")
        }
        #expect((2...8).contains(PlotAxis.logarithmicTicks(low: 1e-30, high: 1e30).count))
    }

    @Test func oneTrialAndEqualValuesGetAnAxisAroundThem() {
        let one = PlotAxis(covering: [0.3], logarithmic: false)
        #expect(one.low < 0.3 && one.high > 0.3)
        #expect(abs(one.fraction(0.3) - 0.5) < 1e-9)
        #expect(Self.labels(one.ticks) == ["0.28", "0.3", "0.32"])
        let equal = PlotAxis(covering: [2.5, 2.5, 2.5], logarithmic: true)
        #expect(abs(equal.fraction(2.5) - 0.5) < 1e-9)
        #expect(Self.labels(equal.ticks) == ["1", "2", "5"])
        let zero = PlotAxis(covering: [0, 0], logarithmic: false)
        #expect(Self.labels(zero.ticks) == ["-1", "-0.5", "0", "0.5", "1"])
        let none = PlotAxis(covering: [.nan], logarithmic: false)
        #expect(none.low < 0 && none.high > 1 && !none.ticks.isEmpty)
        #expect(Self.labels(PlotAxis.linearTicks(low: 7, high: 7)) == ["7"])
    }

    @Test func everyAxisHasAtLeastTwoRoundTicksInside() {
        // Ranges of every width and place, linear and logarithmic.
        for low in [-1000.0, -3.3, 0.001, 0.07, 1, 13, 997] {
            for factor in [1.0001, 1.01, 1.3, 2.1, 6, 9.9, 31, 700, 1e6] {
                let high = low < 0 ? low + abs(low) * (factor - 1) : low * factor
                let linear = PlotAxis.linearTicks(low: low, high: high)
                #expect(linear.count >= 2 && linear.count <= 11, "\(low)...\(high): \(linear)")
                let slack = (high - low) * 1e-6
                #expect(linear.allSatisfy { $0.value >= low - slack && $0.value <= high + slack })
                guard low > 0 else { continue }
                let log = PlotAxis.logarithmicTicks(low: low, high: high)
                #expect(log.count >= 2 && log.count <= 11, "log \(low)...\(high): \(log)")
                #expect(log.allSatisfy { $0.value >= low * (1 - 1e-9) && $0.value <= high * (1 + 1e-9) })
                if factor >= 6 { #expect(log.allSatisfy { $0.label.count <= 6 }, "\(log)") }
            }
        }
    }

    @Test func trialNumbersAreTickedAtRoundNumbers() {
        #expect(Self.labels(PlotAxis(trials: 7, 7).ticks) == ["7"])
        #expect(Self.labels(PlotAxis(trials: 1, 4).ticks) == ["1", "2", "3", "4"])
        #expect(Self.labels(PlotAxis(trials: 1, 60).ticks) == ["10", "20", "30", "40", "50", "60"])
        #expect(Self.labels(PlotAxis(trials: 23, 141).ticks) == ["40", "60", "80", "100", "120", "140"])
        let axis = PlotAxis(trials: 1, 60)
        #expect(axis.low == 0.5 && axis.high == 60.5)
    }

    @Test func labelsAreBrief() {
        #expect(PlotAxis.label(0.00001, step: 0.00001) == "1e-5")
        #expect(PlotAxis.label(25_000_000, step: 5_000_000) == "2.5e7")
        #expect(PlotAxis.label(0.0001, step: 0.0001) == "0.0001")
        #expect(PlotAxis.label(-0.0000001, step: 0.0000001) == "-1e-7")
        #expect(PlotAxis.label(0.30000000000000004, step: 0.1) == "0.3")
        #expect(PlotAxis.label(0, step: 0.1) == "0")
    }
}

struct TrialPlotTests {
    @Test func theSVGHasRoundTicksOnBothAxes() {
        let spec = StudySpec(
            name: "plot", metric: .init(name: "loss", goal: .minimize), budget: .init(trials: 12),
            space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))]))
        let values = [2.06254, 0.958315, 1.7, 1.2, 1.01, 1.9, 1.33, 1.5, 1.1, 1.05, 0.99, 2.0]
        let trials = values.enumerated().map { index, value in
            Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: Configuration(["x": .double(0.5)]),
                  value: value)
        }
        let svg = TrialPlot(spec: spec, trials: trials).svg()
        func labels(_ kind: String) -> [String] {
            svg.components(separatedBy: "class=\"tick-\(kind)\"").dropFirst().compactMap { part in
                part.split(separator: ">", maxSplits: 1).last.map { String($0.prefix { $0 != "<" }) }
            }
        }
        #expect(labels("y") == ["1", "1.5", "2"], "\(svg)")
        #expect(labels("x") == ["2", "4", "6", "8", "10", "12"])
        #expect(svg.components(separatedBy: "<circle").count - 1 == trials.count)
    }
}
