@testable import Dashboard
import Foundation
import SeededRandom
import Testing
import TrialModel

struct ParameterImportanceTests {
    static let space = SearchSpace([
        Parameter(name: "lr", domain: .float(low: 1e-5, high: 1, log: true)),
        Parameter(name: "noise", domain: .float(low: 0, high: 1, log: false)),
        Parameter(name: "opt", domain: .categorical([.string("sgd"), .string("adam")])),
    ])

    static func trials(_ value: (Double, Double, String) -> Double) -> [Trial] {
        var random = SplitMix64(seed: 42)
        return (0..<40).map { index in
            let lr = pow(10, Double.random(in: -5...0, using: &random))
            let noise = Double.random(in: 0...1, using: &random)
            let opt = index % 2 == 0 ? "sgd" : "adam"
            return Trial(id: TrialID(Int64(index + 1)), state: .completed,
                         configuration: Configuration(["lr": .double(lr), "noise": .double(noise), "opt": .string(opt)]),
                         value: value(lr, noise, opt))
        }
    }

    @Test func theParameterThatDrivesTheValueGetsMostOfTheShare() {
        // The value depends on log10(lr) only: its distance from 1e-2.
        let shares = ParameterImportance.shares(trials: Self.trials { lr, _, _ in abs(log10(lr) + 2) }, space: Self.space)
        #expect(abs(shares.values.reduce(0, +) - 1) < 1e-9)
        #expect(shares["lr"]! > 0.6, "\(shares)")
        #expect(shares["lr"]! > 3 * shares["noise"]!)
    }

    @Test func categoricalsAreGroupedByCategoryAndParametersWithoutEffectScoreLow() {
        // The value depends on the optimizer and on noise that is no parameter.
        var random = SplitMix64(seed: 7)
        let shares = ParameterImportance.shares(
            trials: Self.trials { _, _, opt in (opt == "adam" ? 0 : 1) + Double.random(in: 0...0.5, using: &random) },
            space: Self.space)
        #expect(shares["opt"]! > 0.6, "\(shares)")
        #expect(shares["opt"]! > 3 * max(shares["lr"]!, shares["noise"]!), "\(shares)")
    }

    @Test func tooFewTrialsOrNoSpreadGiveNothing() {
        let few = Array(Self.trials { lr, _, _ in lr }.prefix(ParameterImportance.minimumTrials - 1))
        #expect(ParameterImportance.shares(trials: few, space: Self.space).isEmpty)
        #expect(ParameterImportance.shares(trials: Self.trials { _, _, _ in 1 }, space: Self.space).isEmpty)
    }

    /// A conditional parameter counts only where it exists: here `momentum` drives the value
    /// on the sgd trials and is absent from the adam ones, which are all alike.
    @Test func aConditionalParameterIsMeasuredWhereItIsActive() {
        let space = SearchSpace([
            Parameter(name: "opt", domain: .categorical([.string("sgd"), .string("adam")])),
            Parameter(name: "momentum", domain: .float(low: 0, high: 1, log: false),
                      condition: ParameterCondition([.init(name: "opt", values: [.string("sgd")])])),
            Parameter(name: "noise", domain: .float(low: 0, high: 1, log: false)),
        ])
        var random = SplitMix64(seed: 3)
        let trials = (0..<40).map { index -> Trial in
            let sgd = index % 2 == 0
            let momentum = Double.random(in: 0...1, using: &random), noise = Double.random(in: 0...1, using: &random)
            var values: [String: ParameterValue] = ["opt": .string(sgd ? "sgd" : "adam"), "noise": .double(noise)]
            if sgd { values["momentum"] = .double(momentum) }
            return Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: Configuration(values),
                         value: sgd ? 0.2 + 0.6 * momentum : 0.5)
        }
        let shares = ParameterImportance.shares(trials: trials, space: space)
        #expect(shares["momentum"]! > 0.5, "\(shares)")
        #expect(shares["momentum"]! > 3 * shares["noise"]!, "\(shares)")
        // Too few active trials: no score rather than one from a made-up value.
        let early = Array(trials.prefix(2 * ParameterImportance.minimumTrials - 2))
        #expect(ParameterImportance.shares(trials: early, space: space)["momentum"] == 0)
    }

    @Test func ranksShareTies() {
        #expect(ParameterImportance.ranks([3, 1, 3, 2]) == [2.5, 0, 2.5, 1])
    }
}

struct PrometheusTextTests {
    @Test func countsWorkersHistogramAndBestValue() {
        let spec = StudySpec(
            name: "demo \"q\"", metric: .init(name: "val_loss", goal: .minimize), budget: .init(trials: 10),
            space: SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))]))
        let trials = [
            Trial(id: TrialID(1), state: .completed, configuration: Configuration(["x": .double(0.1)]), value: 0.5),
            Trial(id: TrialID(2), state: .completed, configuration: Configuration(["x": .double(0.2)]), value: 0.25),
            Trial(id: TrialID(3), state: .pruned, configuration: Configuration(["x": .double(0.3)]), value: 0.9),
            Trial(id: TrialID(4), state: .running, configuration: Configuration(["x": .double(0.4)])),
        ]
        // 0.0005 s, 0.003 s twice and 20 s, in the coordinator's buckets.
        let bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        let histogram = LiveStatus.Histogram(bounds: bounds, cumulative: [1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4],
                                             sum: 20.0065)
        let live = LiveStatus(
            workers: [LiveStatus.Worker(name: "w1", host: "a", slots: 2, running: [4], secondsSinceHeartbeat: 0.4, joinedAt: Date()),
                      LiveStatus.Worker(name: "w2", host: nil, slots: 3, running: [], secondsSinceHeartbeat: 0.1, joinedAt: Date())],
            suggestLatency: histogram, startedAt: Date(), stopping: false)
        let snapshot = DashboardSnapshot(spec: spec, state: "running", createdAt: Date(), trials: trials, reports: [], live: live)
        let lines = Set(PrometheusText.render(snapshot).split(separator: "\n").map(String.init))
        let study = #"study="demo \"q\"""#
        #expect(lines.contains("sextant_trials{\(study),state=\"completed\"} 2"))
        #expect(lines.contains("sextant_trials{\(study),state=\"pruned\"} 1"))
        #expect(lines.contains("sextant_trials{\(study),state=\"failed\"} 0"))
        #expect(lines.contains("sextant_best_value{\(study),metric=\"val_loss\",goal=\"minimize\"} 0.25"))
        #expect(lines.contains("sextant_workers_connected{\(study)} 2"))
        #expect(lines.contains("sextant_worker_slots{\(study)} 5"))
        #expect(lines.contains("sextant_suggest_latency_seconds_bucket{\(study),le=\"0.001\"} 1"))
        #expect(lines.contains("sextant_suggest_latency_seconds_bucket{\(study),le=\"0.005\"} 3"))
        #expect(lines.contains("sextant_suggest_latency_seconds_bucket{\(study),le=\"10\"} 3"))
        #expect(lines.contains("sextant_suggest_latency_seconds_bucket{\(study),le=\"+Inf\"} 4"))
        #expect(lines.contains("sextant_suggest_latency_seconds_count{\(study)} 4"))
        #expect(lines.contains("# TYPE sextant_suggest_latency_seconds histogram"))
    }
}

struct ProgressTests {
    @Test func timeLeftFollowsTheRateSinceTheCoordinatorStarted() {
        let start = Date(timeIntervalSince1970: 1000)
        let finished = (1...5).map { index in
            Trial(id: TrialID(Int64(index)), state: .completed, configuration: Configuration([:]), value: 1,
                  finishedAt: start.addingTimeInterval(Double(index) * 10))
        }
        // An earlier run's trial does not count toward the rate.
        let earlier = Trial(id: TrialID(9), state: .completed, configuration: Configuration([:]), value: 1,
                            finishedAt: start.addingTimeInterval(-500))
        let left = Progress.secondsLeft(trials: finished + [earlier], budget: 16, since: start, now: start.addingTimeInterval(50))
        // 5 trials in 50 s, 10 left: 100 s.
        #expect(left == 100)
        #expect(Progress.secondsLeft(trials: [], budget: 16, since: start, now: start.addingTimeInterval(5)) == nil)
    }
}
