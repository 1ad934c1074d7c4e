import Foundation
import Yams

/// Walks a composed YAML tree and builds a `StudySpec`, one field at a time.
struct StudyFileReader {
    let file: String

    func read(_ root: Node) throws(StudyFileError) -> StudySpec {
        let top = try mapping(root, at: "", allowed: [
            "name", "metric", "metrics", "constraints", "budget", "optimizer", "pruner", "trial_timeout_seconds",
            "max_retries", "parameters", "initial_configurations", "fidelity",
        ])
        let name = try string(required(top, "name", at: ""), at: "name")
        guard !name.isEmpty else { throw error("name", "must not be empty", root) }

        let objectives = try readObjectives(top)
        var constraints: [StudySpec.Constraint]?
        if let node = top["constraints"] { constraints = try readConstraints(node) }

        let budgetNode = try required(top, "budget", at: "")
        let budgetMap = try mapping(budgetNode, at: "budget", allowed: ["trials", "max_seconds", "max_failures"])
        let trials = try int(required(budgetMap, "trials", at: "budget"), at: "budget.trials", min: 1)
        let maxSeconds = try budgetMap["max_seconds"].map { node throws(StudyFileError) in
            try number(node, at: "budget.max_seconds", positive: true)
        }
        let maxFailures = try budgetMap["max_failures"].map { node throws(StudyFileError) in
            try int(node, at: "budget.max_failures", min: 1)
        }

        var optimizer = StudySpec.Optimizer()
        if let node = top["optimizer"] {
            let map = try mapping(node, at: "optimizer", allowed: ["kind", "initial_trials", "seed", "grid_points", "feasibility_margin"])
            optimizer.kind = try choice(map["kind"], at: "optimizer.kind", default: OptimizerKind.gpEI)
            if let value = map["initial_trials"] { optimizer.initialTrials = try int(value, at: "optimizer.initial_trials", min: 1) }
            if let value = map["seed"] { optimizer.seed = UInt64(try int(value, at: "optimizer.seed", min: 0)) }
            if let value = map["grid_points"] { optimizer.gridPoints = try int(value, at: "optimizer.grid_points", min: 1) }
            if let value = map["feasibility_margin"] {
                let margin = try number(value, at: "optimizer.feasibility_margin")
                guard margin >= 0, margin < 1 else {
                    throw error("optimizer.feasibility_margin", "must be at least 0 and below 1 (a probability of feasibility)", value)
                }
                optimizer.feasibilityMargin = margin
            }
        }

        var pruner = StudySpec.Pruner()
        var prunerMetric: StudySpec.Metric?
        if let node = top["pruner"] {
            let map = try mapping(node, at: "pruner", allowed: [
                "kind", "metric", "min_steps", "reduction_factor", "startup_trials", "warmup_steps",
            ])
            pruner.kind = try choice(map["kind"], at: "pruner.kind", default: PrunerKind.none)
            if let value = map["min_steps"] { pruner.minSteps = try int(value, at: "pruner.min_steps", min: 1) }
            if let value = map["reduction_factor"] { pruner.reductionFactor = try int(value, at: "pruner.reduction_factor", min: 2) }
            if let value = map["startup_trials"] { pruner.startupTrials = try int(value, at: "pruner.startup_trials", min: 1) }
            if let value = map["warmup_steps"] { pruner.warmupSteps = try int(value, at: "pruner.warmup_steps", min: 0) }
            if let value = map["metric"] {
                let name = try string(value, at: "pruner.metric")
                guard let objective = objectives.first(where: { $0.name == name }) else {
                    throw error("pruner.metric", "must name one of the objectives (\(objectives.map(\.name).joined(separator: ", "))), not '\(name)'", value)
                }
                prunerMetric = objective
            }
        }
        // With several objectives, the pruner must be told which one's reports to compare.
        if objectives.count > 1, pruner.kind != .none, prunerMetric == nil {
            throw error("pruner", """
                needs a metric in a study with several objectives: pruning compares one metric's reports, \
                e.g. pruner: {kind: \(pruner.kind.rawValue), metric: \(objectives[0].name)}
                """, top["pruner"])
        }

        let timeout = try top["trial_timeout_seconds"].map { node throws(StudyFileError) in
            try number(node, at: "trial_timeout_seconds", positive: true)
        } ?? 900

        let maxRetries = try top["max_retries"].map { node throws(StudyFileError) in
            try int(node, at: "max_retries", min: 0)
        } ?? 3

        let parametersNode = try required(top, "parameters", at: "")
        let space = try parameters(parametersNode)

        var spec = StudySpec(
            name: name, metric: prunerMetric ?? objectives[0],
            budget: .init(trials: trials, maxSeconds: maxSeconds, maxFailures: maxFailures),
            optimizer: optimizer, pruner: pruner, trialTimeoutSeconds: timeout, space: space
        )
        spec.maxRetries = maxRetries
        if objectives.count > 1 { spec.metrics = objectives }
        spec.constraints = constraints
        if spec.optimizer.feasibilityMargin != nil, constraints == nil {
            throw error("optimizer.feasibility_margin", "applies only to a study with constraints", top["optimizer"])
        }
        if let node = top["fidelity"] {
            guard objectives.count == 1, constraints == nil else {
                throw error("fidelity", "works with one objective and no constraints: its model forecasts one metric's learning curve", node)
            }
            spec.fidelity = try fidelity(node, space: space)
        }
        if let node = top["initial_configurations"] {
            spec.initialConfigurations = try initialConfigurations(node, in: space)
        }
        return spec
    }

    /// `metric: {name, goal}` or `metrics: [{name, goal, reference}, ...]`: exactly one of them.
    private func readObjectives(_ top: Map) throws(StudyFileError) -> [StudySpec.Metric] {
        switch (top["metric"], top["metrics"]) {
        case (let node?, nil):
            return [try metric(node, at: "metric", references: false)]
        case (nil, let node?):
            guard case .sequence(let sequence) = node, !sequence.isEmpty else {
                throw error("metrics", "must be a non-empty list such as [{name: val_loss, goal: minimize}, {name: train_seconds, goal: minimize}]", node)
            }
            var result: [StudySpec.Metric] = []
            for (index, item) in sequence.enumerated() {
                let objective = try metric(item, at: "metrics[\(index)]", references: true)
                if result.contains(where: { $0.name == objective.name }) {
                    throw error("metrics[\(index)].name", "'\(objective.name)' is listed twice", item)
                }
                result.append(objective)
            }
            return result
        case (_?, let node?):
            throw error("metrics", "give either metric (one objective) or metrics (a list), not both", node)
        case (nil, nil):
            throw StudyFileError(file: file, field: "metric", problem: "is required (or metrics, a list of objectives)")
        }
    }

    private func metric(_ node: Node, at: String, references: Bool) throws(StudyFileError) -> StudySpec.Metric {
        let map = try mapping(node, at: at, allowed: references ? ["name", "goal", "reference"] : ["name", "goal"])
        let name = try valueName(required(map, "name", at: at), at: "\(at).name")
        let goal = try choice(map["goal"], at: "\(at).goal", default: Goal.minimize)
        let reference = try map["reference"].map { node throws(StudyFileError) in try number(node, at: "\(at).reference") }
        return StudySpec.Metric(name: name, goal: goal, reference: reference)
    }

    /// A reported value's name: a word the worker can find in `NAME=VALUE`.
    private func valueName(_ node: Node, at: String) throws(StudyFileError) -> String {
        let name = try string(node, at: at)
        guard name.range(of: #"^[A-Za-z_][A-Za-z0-9_.\-]*$"#, options: .regularExpression) != nil else {
            throw error(at, "must be a word such as val_loss (letters, digits, _ . -)", node)
        }
        guard name != "step" else { throw error(at, "'step' numbers the reports and cannot be a metric", node) }
        return name
    }

    /// `constraints: [{name, max, min}, ...]`.
    private func readConstraints(_ node: Node) throws(StudyFileError) -> [StudySpec.Constraint] {
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw error("constraints", "must be a non-empty list such as [{name: latency_ms, max: 20}]", node)
        }
        var result: [StudySpec.Constraint] = []
        for (index, item) in sequence.enumerated() {
            let at = "constraints[\(index)]"
            let map = try mapping(item, at: at, allowed: ["name", "max", "min"])
            let name = try valueName(required(map, "name", at: at), at: "\(at).name")
            let max = try map["max"].map { node throws(StudyFileError) in try number(node, at: "\(at).max") }
            let min = try map["min"].map { node throws(StudyFileError) in try number(node, at: "\(at).min") }
            guard max != nil || min != nil else { throw error(at, "needs max, min or both", item) }
            if let max, let min, min > max { throw error("\(at).min", "must not exceed max (\(max))", map["min"]) }
            if result.contains(where: { $0.name == name }) {
                throw error("\(at).name", "'\(name)' is constrained twice: give max and min in one entry", item)
            }
            result.append(StudySpec.Constraint(name: name, max: max, min: min))
        }
        return result
    }

    private func fidelity(_ node: Node, space: SearchSpace) throws(StudyFileError) -> StudySpec.Fidelity {
        let map = try mapping(node, at: "fidelity", allowed: ["max_steps", "min_steps", "stop_probability", "stop_ratio"])
        let maxSteps = try int(required(map, "max_steps", at: "fidelity"), at: "fidelity.max_steps", min: 2)
        var fidelity = StudySpec.Fidelity(maxSteps: maxSteps)
        if let value = map["min_steps"] {
            fidelity.minSteps = try int(value, at: "fidelity.min_steps", min: 1)
            guard fidelity.minSteps < maxSteps else {
                throw error("fidelity.min_steps", "must be below max_steps (\(maxSteps))", value)
            }
        }
        if let value = map["stop_probability"] {
            let p = try number(value, at: "fidelity.stop_probability")
            guard p >= 0, p < 1 else { throw error("fidelity.stop_probability", "must be at least 0 and below 1", value) }
            fidelity.stopProbability = p
        }
        if let value = map["stop_ratio"] {
            let ratio = try number(value, at: "fidelity.stop_ratio")
            guard ratio >= 0, ratio <= 1 else { throw error("fidelity.stop_ratio", "must be between 0 and 1", value) }
            fidelity.stopRatio = ratio
        }
        // The fidelity decides how long a trial trains: a searched length would fight it.
        if let length = space.parameters.first(where: { StudySpec.Fidelity.lengthParameterNames.contains($0.name.lowercased()) }) {
            throw error("parameters.\(length.name)", """
                cannot be searched in a study with a fidelity: every trial trains up to fidelity.max_steps \
                (\(maxSteps)) and the model decides which stop early; remove the parameter and give the \
                command {max_steps} instead (see docs/study-file.md, "Fidelity")
                """, node)
        }
        return fidelity
    }

    private func parameters(_ node: Node) throws(StudyFileError) -> SearchSpace {
        guard case .mapping(let map) = node else {
            throw error("parameters", "must be a mapping of parameter names to definitions", node)
        }
        guard !map.isEmpty else { throw error("parameters", "must define at least one parameter", node) }
        var result: [Parameter] = []
        for (keyNode, valueNode) in map {
            guard let name = keyNode.string, !name.isEmpty else {
                throw error("parameters", "parameter names must be non-empty strings", keyNode)
            }
            let at = "parameters.\(name)"
            guard name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw error(at, "a parameter name must be letters, digits and _, not starting with a digit", keyNode)
            }
            if result.contains(where: { $0.name.uppercased() == name.uppercased() }) {
                throw error(at, "defined twice (names must differ even ignoring case: they become SEXTANT_PARAM_\(name.uppercased()))", keyNode)
            }
            result.append(Parameter(name: name, domain: try domain(valueNode, at: at),
                                    condition: try condition(valueNode, at: at)))
        }
        try checkConditions(result, map)
        return SearchSpace(result)
    }

    /// `when: {parent: [values]}` (a single value may stand without brackets).
    private func condition(_ node: Node, at: String) throws(StudyFileError) -> ParameterCondition? {
        guard case .mapping(let definition) = node,
              let whenNode = definition.first(where: { $0.key.string == "when" })?.value else { return nil }
        guard case .mapping(let map) = whenNode, !map.isEmpty else {
            throw error("\(at).when", "must map parent parameters to the values that make this one active, e.g. {optimizer: [sgd]}", whenNode)
        }
        var parents: [ParameterCondition.Parent] = []
        for (keyNode, valuesNode) in map {
            guard let parent = keyNode.string, !parent.isEmpty else {
                throw error("\(at).when", "keys must be parameter names", keyNode)
            }
            if parents.contains(where: { $0.name == parent }) { throw error("\(at).when.\(parent)", "given twice", keyNode) }
            var values: [ParameterValue] = []
            if case .sequence(let sequence) = valuesNode {
                guard !sequence.isEmpty else { throw error("\(at).when.\(parent)", "must list at least one value", valuesNode) }
                for item in sequence { values.append(try scalarValue(item, at: "\(at).when.\(parent)")) }
            } else {
                values.append(try scalarValue(valuesNode, at: "\(at).when.\(parent)"))
            }
            parents.append(.init(name: parent, values: values))
        }
        return ParameterCondition(parents)
    }

    /// Every parent exists, is categorical or int, is given values it can take, and no
    /// parameter depends on itself through its parents.
    private func checkConditions(_ parameters: [Parameter], _ map: Node.Mapping) throws(StudyFileError) {
        func node(_ name: String) -> Node? { map.first(where: { $0.key.string == name })?.value }
        for parameter in parameters {
            guard let condition = parameter.condition else { continue }
            let at = "parameters.\(parameter.name).when"
            for parent in condition.parents {
                guard parent.name != parameter.name else {
                    throw error("\(at).\(parent.name)", "a parameter cannot depend on itself", node(parameter.name))
                }
                guard let parentParameter = parameters.first(where: { $0.name == parent.name }) else {
                    throw error("\(at).\(parent.name)", "names no parameter; parameters are \(parameters.map(\.name).joined(separator: ", "))", node(parameter.name))
                }
                if case .float = parentParameter.domain {
                    throw error("\(at).\(parent.name)", "a condition's parent must be categorical or int, and \(parent.name) is a float", node(parameter.name))
                }
                for value in parent.values where !parentParameter.contains(value) {
                    throw error("\(at).\(parent.name)", "\(value) is not a value \(parent.name) can take", node(parameter.name))
                }
            }
        }
        // Cycles: follow parents from each parameter; meeting it again is a cycle.
        for parameter in parameters where parameter.condition != nil {
            var path = [parameter.name]
            var frontier = parameter.condition?.parents.map(\.name) ?? []
            var seen = Set<String>()
            while let next = frontier.popLast() {
                if next == parameter.name {
                    throw error("parameters.\(parameter.name).when", "conditions form a cycle through \(path.joined(separator: ", ")): a parameter cannot depend on itself", node(parameter.name))
                }
                guard seen.insert(next).inserted else { continue }
                path.append(next)
                frontier += parameters.first(where: { $0.name == next })?.condition?.parents.map(\.name) ?? []
            }
        }
    }

    /// `initial_configurations`: a list of mappings from parameter names to values.
    private func initialConfigurations(_ node: Node, in space: SearchSpace) throws(StudyFileError) -> [Configuration] {
        guard case .sequence(let sequence) = node else {
            throw error("initial_configurations", "must be a list of mappings such as [{learning_rate: 0.01}]", node)
        }
        var result: [Configuration] = []
        for (index, item) in sequence.enumerated() {
            let at = "initial_configurations[\(index)]"
            guard case .mapping(let map) = item, !map.isEmpty else {
                throw error(at, "must be a non-empty mapping of parameter names to values", item)
            }
            var values: [String: ParameterValue] = [:]
            for (keyNode, valueNode) in map {
                guard let name = keyNode.string else { throw error(at, "keys must be parameter names", keyNode) }
                guard values[name] == nil else { throw error("\(at).\(name)", "given twice", keyNode) }
                let value = try scalarValue(valueNode, at: "\(at).\(name)")
                do {
                    values[name] = try space.checked(value, for: name)
                } catch let problem {
                    throw error("\(at).\(name)", problem.description, valueNode)
                }
            }
            if let (name, problem) = space.conditionProblem(in: Configuration(values)) {
                throw error("\(at).\(name)", problem, map.first(where: { $0.key.string == name })?.value)
            }
            result.append(Configuration(values))
        }
        return result
    }

    private func domain(_ node: Node, at: String) throws(StudyFileError) -> ParameterDomain {
        let map = try mapping(node, at: at, allowed: ["type", "low", "high", "log", "values", "when"])
        let type = try string(required(map, "type", at: at), at: "\(at).type")
        switch type {
        case "float":
            try reject(map, ["values"], at: at, because: "a float parameter takes low and high")
            let low = try number(required(map, "low", at: at), at: "\(at).low")
            let high = try number(required(map, "high", at: at), at: "\(at).high")
            let log = try map["log"].map { node throws(StudyFileError) in try bool(node, at: "\(at).log") } ?? false
            guard low < high else { throw error("\(at).high", "must be greater than low (\(low))", map["high"]) }
            if log && low <= 0 { throw error("\(at).low", "must be greater than 0 on a log scale", map["low"]) }
            return .float(low: low, high: high, log: log)
        case "int":
            try reject(map, ["values"], at: at, because: "an int parameter takes low and high")
            let low = try int(required(map, "low", at: at), at: "\(at).low")
            let high = try int(required(map, "high", at: at), at: "\(at).high")
            let log = try map["log"].map { node throws(StudyFileError) in try bool(node, at: "\(at).log") } ?? false
            guard low <= high else { throw error("\(at).high", "must be at least low (\(low))", map["high"]) }
            if log && low < 1 { throw error("\(at).low", "must be at least 1 on a log scale", map["low"]) }
            return .int(low: low, high: high, log: log)
        case "categorical":
            try reject(map, ["low", "high", "log"], at: at, because: "a categorical parameter takes values")
            let valuesNode = try required(map, "values", at: at)
            guard case .sequence(let sequence) = valuesNode, !sequence.isEmpty else {
                throw error("\(at).values", "must be a non-empty list such as [sgd, adam]", valuesNode)
            }
            var values: [ParameterValue] = []
            for item in sequence {
                let value = try scalarValue(item, at: "\(at).values")
                if values.contains(value) { throw error("\(at).values", "lists \(value) twice", item) }
                values.append(value)
            }
            return .categorical(values)
        default:
            throw error("\(at).type", "must be float, int or categorical, not '\(type)'", map["type"])
        }
    }
}

// MARK: - Field readers

extension StudyFileReader {
    typealias Map = [String: Node]

    func error(_ field: String, _ problem: String, _ node: Node?) -> StudyFileError {
        StudyFileError(file: file, field: field, problem: problem, line: node?.mark.map { $0.line })
    }

    func mapping(_ node: Node, at: String, allowed: [String]) throws(StudyFileError) -> Map {
        guard case .mapping(let map) = node else {
            throw error(at, at.isEmpty ? "the top level must be a mapping with name, metric, budget, parameters" : "must be a mapping", node)
        }
        var result: Map = [:]
        for (key, value) in map {
            guard let name = key.string else { throw error(at, "keys must be strings", key) }
            let path = at.isEmpty ? name : "\(at).\(name)"
            guard allowed.contains(name) else {
                throw error(path, "unknown field; expected one of \(allowed.joined(separator: ", "))", key)
            }
            guard result[name] == nil else { throw error(path, "given twice", key) }
            result[name] = value
        }
        return result
    }

    func required(_ map: Map, _ key: String, at: String) throws(StudyFileError) -> Node {
        guard let node = map[key] else {
            throw StudyFileError(file: file, field: at.isEmpty ? key : "\(at).\(key)", problem: "is required")
        }
        return node
    }

    func reject(_ map: Map, _ keys: [String], at: String, because reason: String) throws(StudyFileError) {
        for key in keys where map[key] != nil {
            throw error("\(at).\(key)", "does not apply: \(reason)", map[key])
        }
    }

    func scalar(_ node: Node, at: String) throws(StudyFileError) -> Node.Scalar {
        guard case .scalar(let scalar) = node else { throw error(at, "must be a single value", node) }
        return scalar
    }

    func string(_ node: Node, at: String) throws(StudyFileError) -> String {
        try scalar(node, at: at).string
    }

    func number(_ node: Node, at: String, positive: Bool = false) throws(StudyFileError) -> Double {
        let text = try scalar(node, at: at).string
        guard let value = Double(text), value.isFinite else { throw error(at, "must be a number, not '\(text)'", node) }
        if positive && value <= 0 { throw error(at, "must be greater than 0", node) }
        return value
    }

    func int(_ node: Node, at: String, min: Int? = nil) throws(StudyFileError) -> Int {
        let text = try scalar(node, at: at).string
        guard let value = Int(text) ?? Double(text).flatMap({ $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil }) else {
            throw error(at, "must be a whole number, not '\(text)'", node)
        }
        if let min, value < min { throw error(at, "must be at least \(min)", node) }
        return value
    }

    func bool(_ node: Node, at: String) throws(StudyFileError) -> Bool {
        let text = try scalar(node, at: at).string
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(at, "must be true or false, not '\(text)'", node)
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node?, at: String, default value: T) throws(StudyFileError) -> T
    where T.RawValue == String {
        guard let node else { return value }
        let text = try string(node, at: at)
        guard let chosen = T(rawValue: text) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(at, "must be one of \(options), not '\(text)'", node)
        }
        return chosen
    }

    func scalarValue(_ node: Node, at: String) throws(StudyFileError) -> ParameterValue {
        let scalar = try scalar(node, at: at)
        let text = scalar.string
        if scalar.style == .plain {
            if let value = Int(text) { return .int(value) }
            if let value = Double(text), value.isFinite, text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) == true {
                return .double(value)
            }
            switch text { case "true": return .bool(true); case "false": return .bool(false); default: break }
        }
        return .string(text)
    }
}
