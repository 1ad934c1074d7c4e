import Testing
import TrialModel

@Suite struct ConditionalSpaceTests {
    static let tree = """
        name: tree
        metric: {name: loss, goal: minimize}
        budget: {trials: 10}
        parameters:
          optimizer: {type: categorical, values: [sgd, adam]}
          momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: [sgd]}}
          nesterov:  {type: categorical, values: [yes, no], when: {momentum_kind: [classic]}}
          momentum_kind: {type: categorical, values: [classic, none], when: {optimizer: sgd}}
          layers:    {type: int, low: 1, high: 3}
          width2:    {type: int, low: 8, high: 64, when: {layers: [2, 3]}}
        """

    static func failure(_ text: String) -> String {
        do {
            _ = try StudyFile.parse(text, file: "s.yaml")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static func study(_ parameters: String) -> String {
        "name: t\nmetric: {name: loss, goal: minimize}\nbudget: {trials: 3}\nparameters:\n" + parameters
    }

    @Test func readsConditionsWithNestingAndParentsListedAfterChildren() throws {
        let space = try StudyFile.parse(Self.tree, file: "s.yaml").space
        #expect(space.isConditional)
        let momentum = space.parameters.first { $0.name == "momentum" }!
        #expect(momentum.condition == ParameterCondition([.init(name: "optimizer", values: [.string("sgd")])]))
        let width = space.parameters.first { $0.name == "width2" }!
        #expect(width.condition?.parents.first?.values == [.int(2), .int(3)])
        // Parents come before their children, whatever the file's order.
        let order = space.evaluationOrder.map { space.parameters[$0].name }
        #expect(order.firstIndex(of: "momentum_kind")! < order.firstIndex(of: "nesterov")!)
        #expect(order.firstIndex(of: "optimizer")! < order.firstIndex(of: "momentum_kind")!)
    }

    @Test func refusesBadConditionsWithOneLine() {
        let cases: [(String, String)] = [
            ("  a: {type: float, low: 0, high: 1, when: {b: [x]}}\n", "names no parameter"),
            ("  a: {type: float, low: 0, high: 1}\n  b: {type: float, low: 0, high: 1, when: {a: [0.5]}}\n", "must be categorical or int"),
            ("  a: {type: categorical, values: [x, y]}\n  b: {type: float, low: 0, high: 1, when: {a: [z]}}\n", "z is not a value a can take"),
            ("  a: {type: int, low: 1, high: 3}\n  b: {type: float, low: 0, high: 1, when: {a: [4]}}\n", "4 is not a value a can take"),
            ("  a: {type: categorical, values: [x], when: {a: [x]}}\n", "cannot depend on itself"),
            ("  a: {type: categorical, values: [x], when: {b: [y]}}\n  b: {type: categorical, values: [y], when: {a: [x]}}\n", "cycle"),
            ("  a: {type: categorical, values: [x]}\n  b: {type: float, low: 0, high: 1, when: [a]}\n", "must map parent parameters"),
            ("  a: {type: categorical, values: [x]}\n  b: {type: float, low: 0, high: 1, when: {a: []}}\n", "at least one value"),
        ]
        for (parameters, expected) in cases {
            let message = Self.failure(Self.study(parameters))
            #expect(message.contains(expected), "\(parameters): \(message)")
            #expect(!message.contains("\n"), "one line: \(message)")
        }
    }

    @Test func decodeKeepsOnlyActiveParameters() throws {
        let space = try StudyFile.parse(Self.tree, file: "s.yaml").space
        func point(_ values: [String: Double]) -> [Double] { space.parameters.map { values[$0.name] ?? 0.3 } }
        // optimizer: 0.25 → sgd, 0.75 → adam; momentum_kind 0.25 → classic; layers 0.1 → 1, 0.9 → 3.
        let adam = space.decode(point(["optimizer": 0.75, "layers": 0.1]))
        #expect(Set(adam.values.keys) == ["optimizer", "layers"])
        let sgd = space.decode(point(["optimizer": 0.25, "momentum_kind": 0.25, "layers": 0.9]))
        #expect(Set(sgd.values.keys) == ["optimizer", "momentum", "momentum_kind", "nesterov", "layers", "width2"])
        let noKind = space.decode(point(["optimizer": 0.25, "momentum_kind": 0.75, "layers": 0.1]))
        #expect(Set(noKind.values.keys) == ["optimizer", "momentum", "momentum_kind", "layers"])
        // Inactive parameters encode as NaN, active ones as their value.
        let encoded = space.encode(adam)
        for (parameter, u) in zip(space.parameters, encoded) {
            #expect(u.isNaN == (adam[parameter.name] == nil), "\(parameter.name): \(u)")
        }
        #expect(space.decode(encoded) == adam)
        #expect(space.activity(of: encoded) == space.parameters.map { adam[$0.name] != nil })
        // Pruning drops values whose conditions do not hold.
        var extra = adam.values
        extra["momentum"] = .double(0.9)
        #expect(space.pruned(Configuration(extra)) == adam)
    }

    @Test func randomAndGridSamplesFollowTheTree() throws {
        let space = try StudyFile.parse(Self.tree, file: "s.yaml").space
        var sequence = 0.0
        for _ in 0..<200 {
            sequence += 0.6180339887
            let point = space.parameters.indices.map { (sequence * Double($0 + 1)).truncatingRemainder(dividingBy: 1) }
            let configuration = space.decode(point)
            let sgd = configuration["optimizer"] == .string("sgd")
            #expect((configuration["momentum"] != nil) == sgd)
            #expect((configuration["nesterov"] != nil) == (sgd && configuration["momentum_kind"] == .string("classic")))
            let layers = configuration["layers"]?.numericValue ?? 0
            #expect((configuration["width2"] != nil) == (layers >= 2))
        }
    }

    @Test func chosenConfigurationsMustRespectTheTree() throws {
        let space = try StudyFile.parse(Self.tree, file: "s.yaml").space
        #expect(space.conditionProblem(in: Configuration(["momentum": .double(0.9)]))?.problem.contains("give optimizer too") == true)
        #expect(space.conditionProblem(in: Configuration(["optimizer": .string("adam"), "momentum": .double(0.9)]))?.problem
                .contains("inactive when optimizer is adam") == true)
        #expect(space.conditionProblem(in: Configuration(["optimizer": .string("sgd"), "momentum": .double(0.9)])) == nil)
        // A partial configuration is completed along its own branch.
        let filler = Configuration(["optimizer": .string("adam"), "layers": .int(1)])
        let completed = space.completing(Configuration(["optimizer": .string("sgd"), "layers": .int(3)]), with: filler)
        #expect(space.isComplete(completed))
        #expect(completed["momentum"] != nil && completed["width2"] != nil && completed["momentum_kind"] != nil)
        #expect(!space.isComplete(Configuration(["optimizer": .string("sgd"), "layers": .int(1)])))
        #expect(space.isComplete(Configuration(["optimizer": .string("adam"), "layers": .int(1)])))
        // In a study file, the same rule gives the usual one-line error.
        let text = Self.tree + "\ninitial_configurations:\n  - {optimizer: adam, momentum: 0.9}\n"
        let message = Self.failure(text)
        #expect(message.contains("initial_configurations[0].momentum") && message.contains("inactive when optimizer is adam"), "\(message)")
    }
}
