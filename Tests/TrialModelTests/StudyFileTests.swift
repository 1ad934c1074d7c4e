import Testing
import TrialModel

@Suite struct StudyFileTests {
    static let valid = """
        name: mlp-digits
        metric: {name: val_loss, goal: minimize}
        budget: {trials: 60, max_seconds: 3600, max_failures: 5}
        optimizer: {kind: gp-ei, initial_trials: 8, seed: 7}
        pruner: {kind: asha, min_steps: 1, reduction_factor: 3}
        trial_timeout_seconds: 900
        parameters:
          learning_rate: {type: float, low: 1.0e-5, high: 1.0, log: true}
          batch_size:    {type: int, low: 16, high: 512, log: true}
          epochs:        {type: int, low: 1, high: 50}
          weight_decay:  {type: float, low: 1.0e-6, high: 0.1, log: true}
          optimizer:     {type: categorical, values: [sgd, momentum, adam]}
        """

    @Test func readsTheDesignExample() throws {
        let spec = try StudyFile.parse(Self.valid, file: "study.yaml")
        #expect(spec.name == "mlp-digits")
        #expect(spec.metric == .init(name: "val_loss", goal: .minimize))
        #expect(spec.budget == .init(trials: 60, maxSeconds: 3600, maxFailures: 5))
        #expect(spec.optimizer.kind == .gpEI && spec.optimizer.seed == 7 && spec.optimizer.initialTrials == 8)
        #expect(spec.pruner.kind == .asha && spec.pruner.reductionFactor == 3)
        #expect(spec.space.parameters.map(\.name) == ["learning_rate", "batch_size", "epochs", "weight_decay", "optimizer"])
        #expect(spec.space.parameters[0].domain == .float(low: 1e-5, high: 1, log: true))
        #expect(spec.space.parameters[1].domain == .int(low: 16, high: 512, log: true))
        #expect(spec.space.parameters[4].domain == .categorical([.string("sgd"), .string("momentum"), .string("adam")]))
    }

    @Test func readsJSONAndAppliesDefaults() throws {
        let json = """
            {"name": "j", "metric": {"name": "acc", "goal": "maximize"}, "budget": {"trials": 3},
             "parameters": {"units": {"type": "categorical", "values": [32, 64, true]}}}
            """
        let spec = try StudyFile.parse(json, file: "study.json")
        #expect(spec.metric.goal == .maximize)
        #expect(spec.optimizer.kind == .gpEI)
        #expect(spec.pruner.kind == PrunerKind.none)
        #expect(spec.trialTimeoutSeconds == 900)
        #expect(spec.space.parameters[0].domain == .categorical([.int(32), .int(64), .bool(true)]))
    }

    @Test(arguments: [
        ("budget: {trials: 0}", "budget.trials", "at least 1"),
        ("budget: {trials: many}", "budget.trials", "whole number"),
        ("budgt: {trials: 5}", "budgt", "unknown field"),
        ("optimizer: {kind: tpe}", "optimizer.kind", "gp-ei, random, grid"),
        ("metric: {name: loss, goal: lowest}", "metric.goal", "minimize, maximize"),
        ("p: {type: float, low: 0, high: 1, log: true}", "parameters.p.low", "greater than 0 on a log scale"),
        ("p: {type: float, low: 2, high: 1}", "parameters.p.high", "greater than low"),
        ("p: {type: int, low: 1, high: 5.5}", "parameters.p.high", "whole number"),
        ("p: {type: int, low: 0, high: 5, log: true}", "parameters.p.low", "at least 1 on a log scale"),
        ("p: {type: categorical, values: []}", "parameters.p.values", "non-empty list"),
        ("p: {type: categorical, values: [a, a]}", "parameters.p.values", "twice"),
        ("p: {type: categorical, values: [a], low: 1}", "parameters.p.low", "does not apply"),
        ("p: {type: bool}", "parameters.p.type", "float, int or categorical"),
        ("p: {low: 1, high: 2}", "parameters.p.type", "is required"),
    ])
    func namesTheFieldAndTheProblem(change: String, field: String, problem: String) throws {
        let text = Self.mutate(change)
        let error = #expect(throws: StudyFileError.self) { try StudyFile.parse(text, file: "bad.yaml") }
        #expect(error?.file == "bad.yaml")
        #expect(error?.field == field)
        #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("bad.yaml: \(field): ") == true)
    }

    @Test func reportsLineNumbers() throws {
        let error = #expect(throws: StudyFileError.self) {
            try StudyFile.parse(Self.valid.replacingOccurrences(of: "high: 50}", with: "high: fifty}"), file: "s.yaml")
        }
        #expect(error?.line == 10)
        #expect(error?.description == "s.yaml: parameters.epochs.high: must be a whole number, not 'fifty' (line 10)")
    }

    @Test func rejectsBrokenAndMissingFiles() throws {
        #expect(throws: StudyFileError.self) { try StudyFile.parse("name: [unclosed", file: "x.yaml") }
        #expect(throws: StudyFileError.self) { try StudyFile.parse("", file: "x.yaml") }
        let missing = #expect(throws: StudyFileError.self) { try StudyFile.load(path: "/nonexistent/study.yaml") }
        #expect(missing?.description == "/nonexistent/study.yaml: no such file")
        let noParameters = #expect(throws: StudyFileError.self) {
            try StudyFile.parse("name: a\nmetric: {name: l}\nbudget: {trials: 1}\n", file: "x.yaml")
        }
        #expect(noParameters?.field == "parameters")
    }

    /// The valid study with one line replaced or added: a parameter definition goes under
    /// `parameters`, anything else replaces the top-level line with the same key.
    static func mutate(_ change: String) -> String {
        let key = String(change.prefix { $0 != ":" })
        var lines = valid.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if ["budget", "optimizer", "metric", "budgt"].contains(key) {
            if let index = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) {
                lines[index] = change
            } else {
                lines.removeAll { $0.hasPrefix("budget:") }
                lines.insert(change, at: 1)
            }
        } else {
            lines.append("  " + change)
        }
        return lines.joined(separator: "\n")
    }
}
