import SeededRandom
package import TrialModel
import GaussianProcess

/// Grid search: every combination of int and categorical values and `points` values
/// per float, visited in a seeded shuffled order; nil once the grid is exhausted.
package struct GridSampler: Sampler {
    /// Grids larger than this are refused: list fewer values or use another optimizer.
    package static let maxPoints = 10_000_000

    private let axes: [(name: String, values: [ParameterValue])]
    private let order: [Int]

    package init(space: SearchSpace, points: Int, seed: UInt64) throws {
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
        order = Array(0..<total).shuffled(using: &generator)
    }

    /// Number of configurations in the grid.
    package var count: Int { order.count }

    package func suggest(_ history: StudyHistory) async throws -> Configuration? {
        suggestNow(history)
    }

    package var suggestsInstantly: Bool { true }

    /// The same as `suggest`, synchronously.
    package func suggestNow(_ history: StudyHistory) -> Configuration? {
        let tried = Set(history.trials.map(\.configuration))
        var position = history.trials.count
        while position < order.count {
            let configuration = self.configuration(at: order[position])
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
