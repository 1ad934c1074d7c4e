import SeededRandom
import Foundation
import Testing
@testable import Samplers
import GaussianProcess

/// Branin–Hoo on the unit square (rescaled from [−5, 10] × [0, 15]); global minimum 0.397887.
func branin(_ u: [Double]) -> Double {
    let x = -5 + 15 * u[0], y = 15 * u[1]
    let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
    let q = y - b * x * x + c * x - 6
    return q * q + 10 * (1 - t) * cos(x) + 10
}

/// Hartmann-6 on [0, 1]^6; global minimum −3.322368.
func hartmann6(_ x: [Double]) -> Double {
    let alpha = [1.0, 1.2, 3.0, 3.2]
    let a: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                         [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
    let p: [[Double]] = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
    var total = 0.0
    for i in 0..<4 {
        var inner = 0.0
        for j in 0..<6 { inner += a[i][j] * (x[j] - p[i][j] * 1e-4) * (x[j] - p[i][j] * 1e-4) }
        total -= alpha[i] * exp(-inner)
    }
    return total
}

func sampleData(count n: Int, dimension d: Int, seed: UInt64) -> ([[Double]], [Double]) {
    var rng = Xoshiro256StarStar(seed: seed)
    let xs = (0..<n).map { _ in (0..<d).map { _ in rng.nextUnitDouble() } }
    let ys = xs.map { x in x.enumerated().reduce(0.0) { $0 + sin(3 * $1.element + Double($1.offset)) } }
    return (xs, ys)
}

@Suite struct AcquisitionTests {
    /// A GP with fixed hyperparameters on 15 points of a smooth 3-d function, and its values.
    static func fixedModel() throws -> ([Double], GaussianProcessModel) {
        let (xs, ys) = sampleData(count: 15, dimension: 3, seed: 4)
        let model = try GaussianProcessModel(
            inputs: xs, values: ys, hyperparameters: Hyperparameters(lengthscales: [0.3, 0.5, 0.8], outputscale: 1.2, noiseVariance: 1e-4))
        return (ys, model)
    }

    /// Checks the analytic gradient of `acquisition` against central differences at `points` random
    /// points of the unit cube; returns the points.
    @discardableResult
    static func expectGradientMatchesFiniteDifferences(_ acquisition: LogEIAcquisition, points: Int, seed: UInt64) -> [[Double]] {
        var rng = Xoshiro256StarStar(seed: seed)
        let d = acquisition.model.dimension
        return (0..<points).map { _ in
            let x = (0..<d).map { _ in rng.nextUnitDouble() }
            let analytic = acquisition.valueAndGradient(at: x)
            let numeric = centralDifference({ acquisition.valueAndGradient(at: $0).value }, at: x)
            for j in 0..<d { #expect(abs(analytic.gradient[j] - numeric[j]) < 1e-5 * max(1, abs(numeric[j]))) }
            return x
        }
    }

    @Test func acquisitionGradientMatchesFiniteDifferences() throws {
        let (ys, model) = try Self.fixedModel()
        let acquisition = LogEIAcquisition(model: model, incumbent: ys.min()!)
        for x in Self.expectGradientMatchesFiniteDifferences(acquisition, points: 8, seed: 8) {
            #expect(abs(acquisition.valueAndGradient(at: x).value - acquisition.values(rowMajor: x, count: 1)[0]) < 1e-10)
        }
    }

    /// The draws' work is bounded by the pending points too: with more than 300 of them (8 draws ×
    /// 300 > 600), a suggestion is the believer's, as with no draws; with a few, the draws decide.
    @Test func manyPendingPointsFallBackToTheBeliever() throws {
        let (ys, model) = try Self.fixedModel()
        let observations = (0..<model.count).map { Array(model.inputs[($0 * 3)..<(($0 + 1) * 3)]) }
        let values = try #require(model.values.count == ys.count ? model.values : nil)
        var rng = Xoshiro256StarStar(seed: 21)
        let many = (0..<301).map { _ in (0..<3).map { _ in rng.nextUnitDouble() } }
        let few = Array(many.prefix(4))
        func point(samples: Int, pending: [[Double]]) throws -> [Double] {
            var configuration = BayesianOptimizer.Configuration()
            configuration.fantasySamples = samples
            return try BayesianOptimizer(configuration: configuration).suggest(
                using: model, observations: observations, values: values, pending: pending,
                dimensions: Array(repeating: .continuous, count: 3), seed: 5).point
        }
        #expect(try point(samples: 8, pending: many) == point(samples: 0, pending: many))
        #expect(try point(samples: 8, pending: few) != point(samples: 0, pending: few))
    }

    /// With a cost model, the acquisition is LogEI minus the weighted predicted log cost: the
    /// same point scores lower where it is predicted dearer, and the gradient includes the cost's.
    @Test func aCostPenaltyIsSubtractedWithItsGradient() throws {
        let (ys, model) = try Self.fixedModel()
        // Log seconds per step grow with the first coordinate.
        let (xs, _) = sampleData(count: 12, dimension: 3, seed: 11)
        let cost = try GaussianProcessModel(inputs: xs, values: xs.map { 2 * $0[0] },
                                            hyperparameters: Hyperparameters(lengthscales: [0.6, 1, 1], outputscale: 1, noiseVariance: 1e-4))
        let plain = LogEIAcquisition(model: model, incumbent: ys.min()!)
        var costed = plain
        costed.cost = (cost, 0.5)
        let probe = [0.8, 0.3, 0.6]
        let predicted = cost.predict([probe]).mean[0]
        #expect(predicted > 1)
        #expect(abs(costed.values(rowMajor: probe, count: 1)[0] - (plain.values(rowMajor: probe, count: 1)[0] - 0.5 * predicted)) < 1e-12)
        #expect(abs(costed.valueAndGradient(at: probe).value - costed.values(rowMajor: probe, count: 1)[0]) < 1e-10)
        Self.expectGradientMatchesFiniteDifferences(costed, points: 6, seed: 12)
    }

    @Test func monteCarloFantasiesAverageEIAndTheirGradientMatchesFiniteDifferences() throws {
        let (ys, model) = try Self.fixedModel()
        let pending = [0.2, 0.7, 0.4]
        // Conditioning on the posterior mean is the believer.
        let mean = model.predict([pending]).mean[0]
        let believer = try model.conditionedOnFantasies([pending])
        let explicit = try model.conditionedOnFantasies([pending], values: [mean])
        let probe = [0.25, 0.6, 0.5]
        #expect(abs(believer.predict([probe]).mean[0] - explicit.predict([probe]).mean[0]) < 1e-9)
        // Two fantasies: the acquisition is the log of the mean of their EIs.
        let low = try model.conditionedOnFantasies([pending], values: [mean - 1])
        let high = try model.conditionedOnFantasies([pending], values: [mean + 1])
        let incumbent = ys.min()!
        let mixed = LogEIAcquisition(samples: [(low, min(incumbent, mean - 1)), (high, min(incumbent, mean + 1))])
        let a = LogEIAcquisition(model: low, incumbent: min(incumbent, mean - 1)).values(rowMajor: probe, count: 1)[0]
        let b = LogEIAcquisition(model: high, incumbent: min(incumbent, mean + 1)).values(rowMajor: probe, count: 1)[0]
        #expect(abs(mixed.values(rowMajor: probe, count: 1)[0] - log((exp(a) + exp(b)) / 2)) < 1e-9)
        Self.expectGradientMatchesFiniteDifferences(mixed, points: 6, seed: 9)
    }

    /// The largest acquisition value found without the optimizer: every point of a grid with
    /// `steps` intervals per continuous coordinate, crossed with every level of the others, then a
    /// compass search (no gradients) from the best `refined` grid points.
    static func referenceMaximum(
        _ acquisition: LogEIAcquisition, dimensions: [DimensionKind], steps: Int, refined: Int = 8
    ) -> (point: [Double], value: Double) {
        let d = dimensions.count
        let axes = dimensions.map { $0.levels ?? (0...steps).map { Double($0) / Double(steps) } }
        var points: [[Double]] = [[]]
        for axis in axes { points = points.flatMap { prefix in axis.map { prefix + [$0] } } }
        var values: [Double] = []
        values.reserveCapacity(points.count)
        for start in stride(from: 0, to: points.count, by: 4096) {
            let chunk = points[start..<min(points.count, start + 4096)]
            values += acquisition.values(rowMajor: chunk.flatMap { $0 }, count: chunk.count)
        }
        let continuous = (0..<d).filter { dimensions[$0].isContinuous }
        var best = (point: [Double](), value: -Double.infinity)
        for index in values.indices.sorted(by: { values[$0] > values[$1] }).prefix(refined) {
            var x = points[index], value = values[index]
            var step = 1 / Double(steps)
            while step > 1e-9 {
                var moved = false
                for j in continuous {
                    for direction in [-1.0, 1.0] {
                        var y = x
                        y[j] = min(1, max(0, x[j] + direction * step))
                        let candidate = acquisition.values(rowMajor: y, count: 1)[0]
                        if candidate > value { x = y; value = candidate; moved = true }
                    }
                }
                if !moved { step /= 2 }
            }
            if value > best.value { best = (x, value) }
        }
        return best
    }

    /// Checks that `result` is a point of the space whose stated value is its acquisition value.
    static func expectHonest(_ result: AcquisitionMaximum, _ acquisition: LogEIAcquisition, dimensions: [DimensionKind]) {
        for (j, kind) in dimensions.enumerated() {
            #expect(result.point[j] >= 0 && result.point[j] <= 1)
            if let levels = kind.levels { #expect(levels.contains(result.point[j]), "coordinate \(j) off its levels") }
        }
        let value = acquisition.values(rowMajor: result.point, count: 1)[0]
        #expect(abs(result.logExpectedImprovement - value) <= 1e-12 * max(1, abs(value)))
    }

    @Test func optimizerFindsTheMaximumOfAMixedSpaceThatADenseGridFinds() throws {
        let dims: [DimensionKind] = [.continuous, .discrete(levels: [0, 0.25, 0.5, 0.75, 1]), .categorical(count: 3)]
        var rng = Xoshiro256StarStar(seed: 5)
        let xs = (0..<12).map { _ in dims.map { $0.snap(rng.nextUnitDouble()) } }
        let ys = xs.map { ($0[0] - 0.3) * ($0[0] - 0.3) + $0[1] + ($0[2] > 0.5 ? 0 : 1) }
        let model = try GaussianProcessModel(
            inputs: xs, values: ys, dimensions: dims,
            hyperparameters: Hyperparameters(lengthscales: [0.2, 0.4, 0.7], outputscale: 1, noiseVariance: 1e-4))
        let acquisition = LogEIAcquisition(model: model, incumbent: ys.min()!)
        var configuration = AcquisitionOptimizer.Configuration()
        configuration.candidates = 256
        configuration.starts = 6
        let best = try AcquisitionOptimizer(configuration: configuration).maximize(acquisition, dimensions: dims, excluded: xs, seed: 3)
        Self.expectHonest(best, acquisition, dimensions: dims)
        // One continuous coordinate: 2000 grid intervals and a compass search pin the maximum down.
        let reference = Self.referenceMaximum(acquisition, dimensions: dims, steps: 2000)
        #expect(abs(best.logExpectedImprovement - reference.value) <= 1e-7 * max(1, abs(reference.value)),
                "optimizer \(best.point) \(best.logExpectedImprovement), grid \(reference.point) \(reference.value)")
        #expect(best.point[1] == reference.point[1] && best.point[2] == reference.point[2])
        #expect(abs(best.point[0] - reference.point[0]) < 1e-3)
    }

    @Test func optimizerDoesAtLeastAsWellAsADenseGridInThreeDimensions() throws {
        let (ys, model) = try Self.fixedModel()
        let dims = [DimensionKind](repeating: .continuous, count: 3)
        let acquisition = LogEIAcquisition(model: model, incumbent: ys.min()!)
        let best = try AcquisitionOptimizer().maximize(acquisition, dimensions: dims, excluded: [], seed: 11)
        Self.expectHonest(best, acquisition, dimensions: dims)
        let reference = Self.referenceMaximum(acquisition, dimensions: dims, steps: 60)
        #expect(best.logExpectedImprovement >= reference.value - 1e-9 * max(1, abs(reference.value)),
                "optimizer \(best.point) \(best.logExpectedImprovement), grid \(reference.point) \(reference.value)")
    }

    /// One observation at the incumbent: μ(x) = f* everywhere and σ(x)² = s − k(x, x₀)²/(s + σ²ₙ)
    /// grows with the scaled distance from x₀, so LogEI = log σ(x) + log φ(0) peaks at the
    /// farthest corner of the cube, where it has this closed form.
    @Test func optimizerFindsTheClosedFormMaximumOfAOnePointModel() throws {
        let s = 1.3, noise = 0.01, lengthscales = [0.3, 0.7]
        let x0 = [0.2, 0.3]
        let model = try GaussianProcessModel(
            inputs: [x0], values: [2.5],
            hyperparameters: Hyperparameters(lengthscales: lengthscales, outputscale: s, noiseVariance: noise))
        let acquisition = LogEIAcquisition(model: model, incumbent: 2.5)
        let best = try AcquisitionOptimizer().maximize(acquisition, dimensions: [.continuous, .continuous], excluded: [x0], seed: 4)
        // Scaled squared distances to the corners: (1, 1) is the farthest.
        let r = ((0.8 / 0.3) * (0.8 / 0.3) + (0.7 / 0.7) * (0.7 / 0.7)).squareRoot()
        let k = s * (1 + 5.0.squareRoot() * r + 5 * r * r / 3) * exp(-5.0.squareRoot() * r)
        let expected = 0.5 * log(s - k * k / (s + noise)) - 0.5 * log(2 * Double.pi)
        #expect(abs(best.point[0] - 1) < 1e-6 && abs(best.point[1] - 1) < 1e-6, "\(best.point)")
        #expect(abs(best.logExpectedImprovement - expected) < 1e-9, "\(best.logExpectedImprovement) vs \(expected)")
    }

    @Test func exhaustedDiscreteSpaceFallsBackToTheOnlyFreePointThenThrows() throws {
        let dims: [DimensionKind] = [.categorical(count: 2), .discrete(levels: [0, 1])]
        let all = [[0.25, 0.0], [0.25, 1.0], [0.75, 0.0], [0.75, 1.0]]
        let values = [1.0, 2.0, 3.0, 4.0]
        let optimizer = BayesianOptimizer()
        let s = try optimizer.suggest(observations: Array(all.prefix(3)), values: Array(values.prefix(3)), pending: [], dimensions: dims, seed: 1)
        #expect(s.point == [0.75, 1.0])
        #expect(throws: AcquisitionError.noDistinctCandidate) {
            try optimizer.suggest(observations: Array(all.prefix(3)), values: Array(values.prefix(3)), pending: [[0.75, 1.0]], dimensions: dims, seed: 1)
        }
    }
}

@Suite struct BayesianOptimizerTests {
    let dims = [DimensionKind](repeating: .continuous, count: 2)

    @Test func sameSeedGivesIdenticalSuggestion() throws {
        let (xs, ys) = sampleData(count: 10, dimension: 2, seed: 2)
        let optimizer = BayesianOptimizer()
        let a = try optimizer.suggest(observations: xs, values: ys, pending: [], dimensions: dims, seed: 77)
        let b = try optimizer.suggest(observations: xs, values: ys, pending: [], dimensions: dims, seed: 77)
        #expect(a.point == b.point)
        #expect(a.hyperparameters == b.hyperparameters)
        #expect(a.logExpectedImprovement == b.logExpectedImprovement)
    }

    @Test func pendingSuggestionsAreDistinctAndSpreadOut() throws {
        let (xs, ys) = sampleData(count: 10, dimension: 2, seed: 6)
        let optimizer = BayesianOptimizer()
        var pending: [[Double]] = []
        var warm: Hyperparameters? = nil
        for k in 0..<4 {
            let s = try optimizer.suggest(observations: xs, values: ys, pending: pending, dimensions: dims, seed: UInt64(k), warmStart: warm)
            warm = s.hyperparameters
            for other in xs + pending {
                let distance = zip(other, s.point).map { abs($0 - $1) }.max()!
                #expect(distance > 1e-3, "suggestion \(s.point) too close to \(other)")
            }
            pending.append(s.point)
        }
        #expect(Set(pending.map { $0.description }).count == 4)
    }

    @Test func emptyHistoryReturnsQuasiRandomPoint() throws {
        let s = try BayesianOptimizer().suggest(observations: [], values: [], pending: [], dimensions: dims, seed: 1)
        #expect(s.point.count == 2 && s.hyperparameters == nil)
    }

    /// Best value of one study: 8 scrambled-Sobol points, then GP-LogEI steps up to `trials`.
    static func study(
        _ f: @escaping @Sendable ([Double]) -> Double, dimension d: Int, trials: Int, seed: Int,
        optimizer: BayesianOptimizer = BayesianOptimizer()
    ) async throws -> Double {
        let dims = [DimensionKind](repeating: .continuous, count: d)
        var sequence = QuasiRandomSequence(dimension: d, seed: UInt64(1000 + seed))
        var xs: [[Double]] = (0..<8).map { _ in sequence.next() }
        var ys = xs.map(f)
        var warm: Hyperparameters? = nil
        while xs.count < trials {
            let s = try optimizer.suggest(observations: xs, values: ys, pending: [], dimensions: dims,
                                          seed: UInt64(seed * 1000 + xs.count), warmStart: warm)
            warm = s.hyperparameters
            xs.append(s.point)
            ys.append(f(s.point))
            await Task.yield()  // lets the suites beside this one run on the small thread pool
        }
        return ys.min()!
    }

    /// Best values of `seeds` studies run side by side.
    static func studies(
        _ f: @escaping @Sendable ([Double]) -> Double, dimension d: Int, trials: Int, seeds: Int,
        optimizer: BayesianOptimizer = BayesianOptimizer()
    ) async throws -> [Double] {
        try await withThrowingTaskGroup(of: Double.self) { group in
            for seed in 0..<seeds {
                group.addTask { try await study(f, dimension: d, trials: trials, seed: seed, optimizer: optimizer) }
            }
            var best: [Double] = []
            for try await value in group { best.append(value) }
            return best
        }
    }

    /// 8 scrambled-Sobol points, then 32 GP-LogEI steps; the best value must reach 0.397887 + 0.05 for ≥ 8 of 10 seeds.
    @Test func braninEndToEnd() async throws {
        let best = try await Self.studies(branin, dimension: 2, trials: 40, seeds: 10)
        let successes = best.filter { $0 - 0.397887 < 0.05 }.count
        #expect(successes >= 8, "\(successes) of 10 seeds reached the Branin minimum")
    }

    /// Real tuning problems often have their optimum on a face of the space (the largest learning
    /// rate allowed, the smallest batch). This one has it on two faces at once, (1, 0, 0.4, 0.6),
    /// with a smooth interior valley in the other two coordinates. In 30 trials the default
    /// optimizer must get within 0.01 of it for ≥ 4 of 5 seeds: the acquisition search has to
    /// reach and stay on the bounds of the cube, not only its inside.
    @Test func aMinimumOnTwoFacesIsReached() async throws {
        let onFaces: @Sendable ([Double]) -> Double = { x in
            2 * (1 - x[0]) * (1 - x[0]) + 2 * x[1] * x[1] + (x[2] - 0.4) * (x[2] - 0.4) + (x[3] - 0.6) * (x[3] - 0.6)
        }
        let best = try await Self.studies(onFaces, dimension: 4, trials: 30, seeds: 5)
        let successes = best.filter { $0 < 0.01 }.count
        #expect(successes >= 4, "\(successes) of 5 seeds within 0.01 of the minimum on two faces: \(best)")
    }

    /// Hartmann-6 has its global minimum inside the cube and a local one at regret 0.12. In 50
    /// trials the default optimizer must refine the global one to within 2e-3 for ≥ 3 of 5 seeds.
    /// With the values' mean as prior mean and no output warping most trials land on the faces of
    /// the cube and 2 of 5 seeds got within 1e-3; with the prior mean 8 standard deviations above the
    /// values 4 of 5 got within 1e-3, but that default lost on realistic problems whose optima
    /// lie on faces (docs/benchmarks.md, "Defaults on both suites").
    @Test func hartmann6ReachesTheGlobalMinimum() async throws {
        let best = try await Self.studies(hartmann6, dimension: 6, trials: 50, seeds: 5)
        let successes = best.filter { $0 + 3.322368 < 2e-3 }.count
        #expect(successes >= 3, "\(successes) of 5 seeds within 2e-3 of the Hartmann-6 minimum: \(best)")
    }
}
