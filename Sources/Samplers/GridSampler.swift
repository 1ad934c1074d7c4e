import SeededRandom
package import TrialModel
import GaussianProcess

/// Grid search: every combination of int and categorical values and `points` values
/// per float, visited in a seeded shuffled order; nil once the grid is exhausted.
/// In a conditional space the grid is the tree's: each configuration has only its active
/// parameters, and each is visited once.
package struct GridSampler: Sampler {
    /// Grids larger than this are refused: list fewer values or use another optimizer.
    package static let maxPoints = 10_000_000

    private let axes: [(name: String, values: [ParameterValue])]
    private let order: [Int]
    /// In a conditional space: the tree's configurations, in the shuffled order.
    private let distinct: [Configuration]?

    package init(space: SearchSpace, points: Int, seed: UInt64) throws {
        axes = space.parameters.map { ($0.name, $0.gridValues(points: points)) }
        let tooLarge = SamplerError("the grid has more than \(Self.maxPoints) points; lower optimizer.grid_points or narrow int ranges")
        var generator = SplitMix64(seed: seed)
        if space.isConditional {
            // Walk the tree: each parameter branches over its values only where it is active,
            // so every distinct configuration comes out once.
            let order = space.evaluationOrder, axes = self.axes
            var configurations: [Configuration] = []
            func extend(_ position: Int, _ values: [String: ParameterValue]) throws(SamplerError) {
                guard position < order.count else {
                    configurations.append(Configuration(values))
                    if configurations.count > Self.maxPoints { throw tooLarge }
                    return
                }
                let index = order[position]
                guard SearchSpace.holds(space.parameters[index].condition, in: values) else {
                    return try extend(position + 1, values)
                }
                for value in axes[index].values {
                    var next = values
                    next[axes[index].name] = value
                    try extend(position + 1, next)
                }
            }
            try extend(0, [:])
            self.order = []
            distinct = configurations.shuffled(using: &generator)
            return
        }
        var total = 1
        for axis in axes {
            let (product, overflow) = total.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= Self.maxPoints else { throw tooLarge }
            total = product
        }
        order = Array(0..<total).shuffled(using: &generator)
        distinct = nil
    }

    /// Number of configurations in the grid.
    package var count: Int { distinct?.count ?? order.count }

    package func suggest(_ history: StudyHistory) async throws -> Configuration? {
        suggestNow(history)
    }

    package var suggestsInstantly: Bool { true }

    /// The same as `suggest`, synchronously.
    package func suggestNow(_ history: StudyHistory) -> Configuration? {
        let tried = Set(history.trials.map(\.configuration))
        var position = history.trials.count
        while position < count {
            let configuration = distinct?[position] ?? self.configuration(at: order[position])
            if !tried.contains(configuration) { return configuration }
            position += 1
        }
        return nil
    }

    /// The configuration with mixed-radix index `index`.
    func configuration(at index: Int) -> Configuration {
        var rest = index
        var values: [String: ParameterValue] = [:]
        for axis in axes.reversed() {
            values[axis.name] = axis.values[rest % axis.values.count]
            rest /= axis.values.count
        }
        return Configuration(values)
    }
}
