import SeededRandom
package import TrialModel
import GaussianProcess

/// Grid search: every combination of int and categorical values and `points` values
/// per float, visited in a seeded shuffled order; nil once the grid is exhausted.
/// In a conditional space each grid point keeps only its active parameters, so points that
/// differ only in inactive ones are one configuration, run once.
package struct GridSampler: Sampler {
    /// Grids larger than this are refused: list fewer values or use another optimizer.
    package static let maxPoints = 10_000_000

    private let axes: [(name: String, values: [ParameterValue])]
    private let order: [Int]
    private let space: SearchSpace
    /// In a conditional space: the distinct configurations, in the shuffled order.
    private let distinct: [Configuration]?

    package init(space: SearchSpace, points: Int, seed: UInt64) throws {
        self.space = space
        axes = space.parameters.map { ($0.name, $0.gridValues(points: points)) }
        var total = 1
        for axis in axes {
            let (product, overflow) = total.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= Self.maxPoints else {
                throw SamplerError("the grid has more than \(Self.maxPoints) points; lower optimizer.grid_points or narrow int ranges")
            }
            total = product
        }
        var generator = SplitMix64(seed: seed)
        let order = Array(0..<total).shuffled(using: &generator)
        self.order = order
        if space.isConditional {
            var seen = Set<Configuration>()
            let axes = self.axes
            distinct = order.map { Self.configuration(at: $0, axes: axes, space: space) }.filter { seen.insert($0).inserted }
        } else {
            distinct = nil
        }
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
        Self.configuration(at: index, axes: axes, space: space)
    }

    static func configuration(at index: Int, axes: [(name: String, values: [ParameterValue])], space: SearchSpace) -> Configuration {
        var rest = index
        var values: [String: ParameterValue] = [:]
        for axis in axes.reversed() {
            values[axis.name] = axis.values[rest % axis.values.count]
            rest /= axis.values.count
        }
        return space.pruned(Configuration(values))
    }
}
