import Testing
import TrialModel

@Suite struct WarmStartTests {
    static let old = try! StudyFile.parse("""
        name: old
        metric: {name: loss, goal: minimize}
        budget: {trials: 10}
        parameters:
          lr: {type: float, low: 1.0e-6, high: 10.0, log: true}
          layers: {type: int, low: 1, high: 4}
          optimizer: {type: categorical, values: [sgd, adam, rmsprop]}
          momentum: {type: float, low: 0.0, high: 1.0}
        """, file: "old.yaml")

    static let new = try! StudyFile.parse("""
        name: new
        metric: {name: loss, goal: minimize}
        budget: {trials: 10}
        parameters:
          lr: {type: float, low: 1.0e-5, high: 1.0, log: true}
          layers: {type: int, low: 1, high: 3}
          optimizer: {type: categorical, values: [sgd, adam]}
          momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: [sgd]}}
        """, file: "new.yaml")

    static func trial(_ values: [String: ParameterValue], value: Double? = 1, state: TrialState = .completed) -> Trial {
        Trial(id: TrialID(Int64(values.count)), state: state, configuration: Configuration(values), value: value)
    }

    static func reason(_ values: [String: ParameterValue]) -> String? {
        if case .failure(let error) = WarmStart.fit(Configuration(values), in: new.space) { return error.description }
        return nil
    }

    @Test func aTrialFitsWhenEveryValueIsValidAndEveryActiveParameterSet() throws {
        let adam: [String: ParameterValue] = ["lr": .double(0.01), "layers": .int(2), "optimizer": .string("adam")]
        #expect(Self.reason(adam) == nil)
        #expect(Self.reason(adam.merging(["optimizer": .string("sgd"), "momentum": .double(0.9)]) { $1 }) == nil)
        // An int given to a float parameter becomes a float, as the new space stores it.
        let converted = WarmStart.fit(Configuration(adam.merging(["lr": .int(1)]) { $1 }), in: Self.new.space)
        #expect(try converted.get()["lr"] == .double(1))
    }

    @Test func eachBrokenRuleIsTheReason() {
        let base: [String: ParameterValue] = ["lr": .double(0.01), "layers": .int(2), "optimizer": .string("adam")]
        func with(_ changes: [String: ParameterValue]) -> [String: ParameterValue] { base.merging(changes) { $1 } }
        #expect(Self.reason(with(["dropout": .double(0.1)])) == "have parameter dropout not in this space")
        #expect(Self.reason(with(["lr": .double(2)])) == "have lr outside [1e-05, 1]")
        #expect(Self.reason(with(["layers": .int(4)])) == "have layers outside [1, 3]")
        #expect(Self.reason(with(["layers": .double(2.5)])) == "have layers not a whole number")
        #expect(Self.reason(with(["lr": .string("fast")])) == "have lr not a number")
        #expect(Self.reason(with(["optimizer": .string("rmsprop")])) == "have optimizer not one of sgd, adam")
        // Conditional: momentum only with sgd, and then it must be there.
        #expect(Self.reason(with(["momentum": .double(0.9)])) == "have momentum where it is inactive")
        #expect(Self.reason(with(["optimizer": .string("sgd")])) == "lack parameter momentum")
        var noLayers = base
        noLayers["layers"] = nil
        #expect(Self.reason(noLayers) == "lack parameter layers")
    }

    @Test func completedTrialsAreCountedByReasonMostFrequentFirst() throws {
        let good: [String: ParameterValue] = ["lr": .double(0.01), "layers": .int(2), "optimizer": .string("adam")]
        let trials = [
            Self.trial(good),
            Self.trial(good.merging(["lr": .double(5)]) { $1 }),
            Self.trial(good.merging(["momentum": .double(0.2), "optimizer": .string("sgd")]) { $1 }),
            Self.trial(good.merging(["lr": .double(3)]) { $1 }),
            Self.trial(good, value: .nan),
            Self.trial(good, value: 2, state: .pruned),
            Self.trial(good, value: nil, state: .failed),
            Self.trial(good.merging(["layers": .int(3)]) { $1 }, value: 0.5),
        ]
        let start = try WarmStart(trials: trials, from: Self.old, into: Self.new)
        #expect(start.trials.map(\.value) == [1, 0.5])
        #expect(start.skipped == [.init(reason: "have lr outside [1e-05, 1]", count: 2),
                                  .init(reason: "have momentum outside [0.5, 0.99]", count: 1)])
        #expect(start.summary(study: "old", database: "old.db")
            == "warm start: 2 completed trials of old in old.db (3 skipped: 2 have lr outside [1e-05, 1], 1 have momentum outside [0.5, 0.99])")
        let none = try WarmStart(trials: [], from: Self.old, into: Self.new)
        #expect(none.summary(study: "old", database: "old.db") == "warm start: 0 completed trials of old in old.db")
    }

    @Test func theMetricMustMatchInNameAndGoal() {
        var maximizing = Self.new
        maximizing.metric.goal = .maximize
        #expect(throws: WarmStartError(
            "study old has metric loss (minimize), this study loss (maximize); warm-start from a study of the same metric")) {
            try WarmStart(trials: [], from: Self.old, into: maximizing)
        }
        var renamed = Self.new
        renamed.metric.name = "accuracy"
        #expect(throws: WarmStartError.self) { try WarmStart(trials: [], from: Self.old, into: renamed) }
    }

    @Test func theStudyIsTheNamedOneTheOnlyOneOrTheSameName() throws {
        #expect(try WarmStart.chooseStudy(named: nil, among: ["a"], current: "new", database: "o.db") == "a")
        #expect(try WarmStart.chooseStudy(named: nil, among: ["a", "new"], current: "new", database: "o.db") == "new")
        #expect(try WarmStart.chooseStudy(named: "a", among: ["a", "new"], current: "new", database: "o.db") == "a")
        #expect(throws: WarmStartError("o.db: no study to warm-start from; it holds a, b (name one: o.db:STUDY)")) {
            try WarmStart.chooseStudy(named: nil, among: ["a", "b"], current: "new", database: "o.db")
        }
        #expect(throws: WarmStartError("o.db: no study c to warm-start from; it holds a, b")) {
            try WarmStart.chooseStudy(named: "c", among: ["a", "b"], current: "new", database: "o.db")
        }
        #expect(throws: WarmStartError.self) {
            try WarmStart.chooseStudy(named: nil, among: [], current: "new", database: "o.db")
        }
    }

    @Test func theSourceSplitsAtTheLastColon() {
        #expect(WarmStart.source("old.db") == ("old.db", nil))
        #expect(WarmStart.source("runs/old.db:mlp") == ("runs/old.db", "mlp"))
        #expect(WarmStart.source("old.db:") == ("old.db", nil))
        #expect(WarmStart.source("a:b/old.db") == ("a:b/old.db", nil))
    }
}
