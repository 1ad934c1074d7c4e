import Foundation
import Testing
import TrialModel

@Suite struct MultiObjectiveStudyFileTests {
    static func study(_ goals: String, pruner: String = "", extra: String = "") -> String {
        """
        name: m
        \(goals)
        budget: {trials: 10}
        \(pruner)
        \(extra)
        parameters:
          lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
        """
    }

    static let twoGoals = "metrics: [{name: val_loss, goal: minimize}, {name: accuracy, goal: maximize, reference: 0.5}]"

    @Test func readsObjectivesAndConstraints() throws {
        let spec = try StudyFile.parse(Self.study(Self.twoGoals, extra: "constraints: [{name: latency_ms, max: 20}, {name: size, min: 1, max: 9}]"),
                                       file: "s.yaml")
        #expect(spec.objectives == [.init(name: "val_loss", goal: .minimize), .init(name: "accuracy", goal: .maximize, reference: 0.5)])
        #expect(spec.isMultiObjective && spec.metric.name == "val_loss")
        #expect(spec.bounds == [.init(name: "latency_ms", max: 20), .init(name: "size", max: 9, min: 1)])
        #expect(spec.reportedNames == ["val_loss", "accuracy", "latency_ms", "size"])
        // A trial is feasible when every constrained value is within its bounds; a missing one is not.
        var trial = Trial(id: TrialID(1), state: .completed, configuration: Configuration([:]), value: 0.3,
                          values: ["val_loss": 0.3, "accuracy": 0.9, "latency_ms": 20, "size": 1])
        #expect(spec.isFeasible(trial))
        #expect(spec.minimizedObjectives(of: trial) == [0.3, -0.9])
        trial.values["latency_ms"] = 20.5
        #expect(!spec.isFeasible(trial))
        trial.values["latency_ms"] = nil
        #expect(!spec.isFeasible(trial))
    }

    /// `metric:` stays valid, `metrics:` with one entry is the same study, and a single metric may be constrained.
    @Test func oneObjectiveStaysAsItWas() throws {
        let single = try StudyFile.parse(Self.study("metric: {name: loss, goal: minimize}"), file: "s.yaml")
        #expect(single.objectives == [.init(name: "loss", goal: .minimize)] && single.metrics == nil && single.reportedNames.isEmpty)
        let listed = try StudyFile.parse(Self.study("metrics: [{name: loss}]"), file: "s.yaml")
        #expect(listed == single)
        let constrained = try StudyFile.parse(Self.study("metric: {name: loss}", extra: "constraints: [{name: ms, max: 5}]"), file: "s.yaml")
        #expect(!constrained.isMultiObjective && constrained.reportedNames == ["loss", "ms"])
    }

    @Test func theFeasibilityMarginIsReadAndChecked() throws {
        let constrained = "constraints: [{name: ms, max: 5}]\noptimizer: {kind: gp-ei, feasibility_margin: 0.5}"
        #expect(try StudyFile.parse(Self.study(Self.twoGoals, extra: constrained), file: "s.yaml").optimizer.feasibilityMargin == 0.5)
        #expect(try StudyFile.parse(Self.study(Self.twoGoals), file: "s.yaml").optimizer.feasibilityMargin == nil)
        for (extra, problem) in [("constraints: [{name: ms, max: 5}]\noptimizer: {feasibility_margin: 1}", "below 1"),
                                 ("optimizer: {feasibility_margin: 0.5}", "only to a study with constraints")] {
            let error = #expect(throws: StudyFileError.self) { try StudyFile.parse(Self.study(Self.twoGoals, extra: extra), file: "s.yaml") }
            #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
        }
    }

    @Test func thePrunerNamesItsMetric() throws {
        let spec = try StudyFile.parse(Self.study(Self.twoGoals, pruner: "pruner: {kind: median, metric: accuracy}"), file: "s.yaml")
        #expect(spec.metric == .init(name: "accuracy", goal: .maximize, reference: 0.5))
        #expect(spec.objectives[0].name == "val_loss")
    }

    @Test(arguments: [
        (twoGoals, "pruner: {kind: asha}", "", "needs a metric in a study with several objectives"),
        (twoGoals, "pruner: {kind: asha, metric: speed}", "", "must name one of the objectives (val_loss, accuracy)"),
        ("metric: {name: a}\nmetrics: [{name: b}]", "", "", "either metric"),
        ("budget_only: 1", "", "", "metric"),
        ("metrics: []", "", "", "non-empty list"),
        ("metrics: [{name: a}, {name: a}]", "", "", "listed twice"),
        ("metrics: [{name: step}]", "", "", "numbers the reports"),
        ("metrics: [{name: a, goal: up}]", "", "", "minimize, maximize"),
        ("metric: {name: a, reference: 1}", "", "", "unknown field"),
        (twoGoals, "", "constraints: [{name: ms}]", "needs max, min or both"),
        (twoGoals, "", "constraints: [{name: ms, min: 5, max: 1}]", "must not exceed max"),
        (twoGoals, "", "constraints: [{name: ms, max: 1}, {name: ms, min: 0}]", "constrained twice"),
        (twoGoals, "", "constraints: {name: ms, max: 1}", "non-empty list"),
        (twoGoals, "", "fidelity: {max_steps: 10}", "works with one objective and no constraints"),
    ])
    func rejectsBadGoals(goals: String, pruner: String, extra: String, problem: String) throws {
        let text = Self.study(goals, pruner: pruner, extra: extra).replacingOccurrences(of: "budget_only: 1\n", with: "")
        let error = #expect(throws: StudyFileError.self) { try StudyFile.parse(text, file: "s.yaml") }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }

    /// The example the demo runs with two objectives and a constraint.
    @Test func theShippedExampleReads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try StudyFile.load(path: root.appendingPathComponent("docs/examples/mlp-digits-pareto.yaml").path)
        #expect(spec.objectives.map(\.name) == ["val_loss", "train_seconds"])
        #expect(spec.bounds == [.init(name: "parameters", max: 20000)])
    }
}

@Suite struct ParetoTests {
    @Test func dominanceAndTheFront() {
        #expect(Pareto.dominates([1, 2], [1, 3]) && !Pareto.dominates([1, 3], [1, 3]) && !Pareto.dominates([0, 4], [1, 3]))
        let points: [[Double]] = [[3, 1], [1, 3], [2, 2], [2, 3], [3, 3], [1, 3], [4, 0.5]]
        #expect(Pareto.front(points) == [0, 1, 2, 5, 6])
    }

    /// Hypervolume against a grid count of dominated cells, in two and three objectives, and the
    /// region's improvement as the difference of two hypervolumes.
    @Test(arguments: [2, 3])
    func hypervolumeMatchesAGridCount(objectives m: Int) {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            // Points on a grid of 1/10, so a grid of 1/20 counts the volume exactly.
            let points = (0..<8).map { _ in (0..<m).map { _ in Double(Int.random(in: 0...9, using: &random)) / 10 } }
            let reference = [Double](repeating: 1, count: m)
            var cells = 0, total = 0
            func visit(_ prefix: [Double]) {
                if prefix.count == m {
                    total += 1
                    if points.contains(where: { p in zip(p, prefix).allSatisfy { $0 <= $1 } }) { cells += 1 }
                    return
                }
                for k in 0..<20 { visit(prefix + [(Double(k) + 0.5) / 20]) }
            }
            visit([])
            let exact = Double(cells) / Double(total)
            #expect(abs(Pareto.hypervolume(points, reference: reference) - exact) < 1e-12, "\(points)")
            let region = NondominatedRegion(reference: reference, points: Array(points.dropLast()))
            let gain = Pareto.hypervolume(points, reference: reference) - Pareto.hypervolume(Array(points.dropLast()), reference: reference)
            #expect(abs(region.improvement(of: points.last!) - gain) < 1e-12)
            let history = Pareto.hypervolumeHistory(points, reference: reference)
            #expect(zip(history, history.dropFirst()).allSatisfy { $0 <= $1 } && abs(history.last! - exact) < 1e-12)
        }
    }

    @Test func aPointBeyondTheReferenceAddsNothing() {
        #expect(Pareto.hypervolume([[2, 0.5], [0.5, 2]], reference: [1, 1]) == 0)
        #expect(abs(Pareto.hypervolume([[0.5, 0.5], [2, 0]], reference: [1, 1]) - 0.25) < 1e-15)
    }

    /// The front and hypervolume of a study's trials: maximized objectives negated, infeasible and
    /// unfinished trials left out.
    @Test func theFrontOfAStudy() throws {
        var spec = try StudyFile.parse(MultiObjectiveStudyFileTests.study(MultiObjectiveStudyFileTests.twoGoals,
                                                                          extra: "constraints: [{name: ms, max: 5}]"), file: "s.yaml")
        func trial(_ id: Int64, _ loss: Double, _ accuracy: Double, ms: Double = 1, state: TrialState = .completed) -> Trial {
            Trial(id: TrialID(id), state: state, configuration: Configuration([:]), value: loss,
                  finishedAt: Date(timeIntervalSince1970: Double(id)), values: ["val_loss": loss, "accuracy": accuracy, "ms": ms])
        }
        let trials = [trial(1, 0.5, 0.8), trial(2, 0.4, 0.7), trial(3, 0.3, 0.9, ms: 6), trial(4, 0.6, 0.85), trial(5, 0.45, 0.75),
                      trial(6, 0.1, 0.99, state: .failed)]
        #expect(trials.paretoFront(in: spec).map(\.id.rawValue) == [2, 5, 1, 4])
        #expect(trials.best(in: spec)?.id.rawValue == 2)
        // Reference: the given 0.5 for accuracy (negated), the worst completed feasible loss.
        #expect(spec.hypervolumeReference(trials) == [0.6, -0.5])
        let history = trials.hypervolumeHistory(in: spec)
        #expect(history.map(\.trial.id.rawValue) == [1, 2, 3, 4, 5, 6])
        let expected = Pareto.hypervolume([[0.5, -0.8], [0.4, -0.7], [0.6, -0.85], [0.45, -0.75]], reference: [0.6, -0.5])
        #expect(abs(history.last!.hypervolume - expected) < 1e-12 && history[2].hypervolume == history[1].hypervolume)
        spec.constraints = nil
        #expect(trials.paretoFront(in: spec).map(\.id.rawValue) == [3])
    }
}
