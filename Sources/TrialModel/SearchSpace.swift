/// The ordered hyperparameters of a study.
package struct SearchSpace: Sendable, Hashable, Codable {
    /// Parameters in the order the study file lists them.
    package let parameters: [Parameter]

    package init(_ parameters: [Parameter]) {
        self.parameters = parameters
    }

    /// Number of parameters, the dimension of the unit cube.
    package var dimension: Int { parameters.count }

    /// Whether any parameter is conditional (the space is a tree, not a box).
    package var isConditional: Bool { parameters.contains { $0.condition != nil } }

    /// Parameter indices with every parent before its children (the study file guarantees there
    /// is no cycle; a parent that does not exist is treated as inactive).
    package var evaluationOrder: [Int] {
        guard isConditional else { return Array(parameters.indices) }
        var order: [Int] = [], placed = Set<String>()
        var remaining = Array(parameters.indices)
        while !remaining.isEmpty {
            let names = Set(parameters.map(\.name))
            let ready = remaining.filter { index in
                (parameters[index].condition?.parents ?? []).allSatisfy { placed.contains($0.name) || !names.contains($0.name) }
            }
            guard !ready.isEmpty else { return order + remaining }  // a cycle: no order exists
            order += ready
            ready.forEach { placed.insert(parameters[$0].name) }
            remaining.removeAll { ready.contains($0) }
        }
        return order
    }

    /// Whether `parameter`'s condition holds for `values` (the parents' values; an absent parent
    /// is inactive, so its children are too).
    package static func holds(_ condition: ParameterCondition?, in values: [String: ParameterValue]) -> Bool {
        guard let condition else { return true }
        return condition.parents.allSatisfy { parent in
            guard let value = values[parent.name] else { return false }
            return parent.values.contains(value)
        }
    }

    /// The point of `[0,1]^d` for a configuration. An absent conditional parameter (inactive)
    /// encodes as NaN, which the GP's kernel treats as "inactive" (equal to every other
    /// inactive value, unlike any active one); an absent unconditional one as 0.5.
    package func encode(_ configuration: Configuration) -> [Double] {
        parameters.map { parameter in
            configuration[parameter.name].map(parameter.encode) ?? (parameter.condition == nil ? 0.5 : .nan)
        }
    }

    /// The configuration a point of `[0,1]^d` stands for: the parameters whose conditions hold
    /// for the decoded values of their parents; the coordinates of the others are ignored.
    package func decode(_ point: [Double]) -> Configuration {
        precondition(point.count == parameters.count, "point has \(point.count) coordinates, space has \(parameters.count)")
        var values: [String: ParameterValue] = [:]
        for index in evaluationOrder {
            let parameter = parameters[index]
            guard Self.holds(parameter.condition, in: values) else { continue }
            values[parameter.name] = parameter.decode(point[index])
        }
        return Configuration(values)
    }

    /// For each coordinate of `point`, whether its parameter is active in the configuration the
    /// point stands for (all true in a space without conditions). For many points, build an
    /// `ActivityRule` once.
    package func activity(of point: [Double]) -> [Bool] {
        ActivityRule(self).activity(of: point)
    }

    /// Which coordinates of a point are active, precomputed for a space: parents in order, and
    /// each condition as parent indices and the values they must decode to.
    package struct ActivityRule: Sendable {
        let parameters: [Parameter]
        let order: [Int]
        let parents: [[(index: Int, values: [ParameterValue])]]
        let conditional: Bool

        package init(_ space: SearchSpace) {
            parameters = space.parameters
            order = space.evaluationOrder
            conditional = space.isConditional
            let index = Dictionary(space.parameters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            parents = space.parameters.map { parameter in
                (parameter.condition?.parents ?? []).map { (index[$0.name] ?? -1, $0.values) }
            }
        }

        package func activity(of point: [Double]) -> [Bool] {
            var active = [Bool](repeating: true, count: parameters.count)
            guard conditional else { return active }
            for i in order where !parents[i].isEmpty {
                active[i] = parents[i].allSatisfy { parent in
                    parent.index >= 0 && active[parent.index]
                        && parent.values.contains(parameters[parent.index].decode(point[parent.index]))
                }
            }
            return active
        }
    }

    /// `configuration` with only the parameters active in it: values of parameters whose
    /// conditions do not hold are dropped.
    package func pruned(_ configuration: Configuration) -> Configuration {
        guard isConditional else { return configuration }
        var values: [String: ParameterValue] = [:]
        for index in evaluationOrder {
            let parameter = parameters[index]
            guard Self.holds(parameter.condition, in: values), let value = configuration[parameter.name] else { continue }
            values[parameter.name] = value
        }
        return Configuration(values)
    }
}

/// One assignment of values to a study's parameters.
package struct Configuration: Sendable, Hashable, Codable {
    /// Values by parameter name.
    package var values: [String: ParameterValue]

    package init(_ values: [String: ParameterValue]) {
        self.values = values
    }

    package subscript(name: String) -> ParameterValue? { values[name] }

    package init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ParameterValue].self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
