import SeededRandom
import Foundation
import Testing
@testable import GaussianProcess

/// Inactive coordinates (NaN, a conditional parameter whose condition does not hold) in the kernel.
@Suite struct InactiveDimensionTests {
    let kernel = Matern52Kernel(lengthscales: [0.3, 0.5, 0.4], outputscale: 2,
                                dimensions: [.continuous, .conditional(.continuous), .conditional(.categorical(count: 3))])

    @Test func inactiveEqualsInactiveAndDiffersEquallyFromEveryActiveValue() {
        let a = [0.2, Double.nan, 0.5], b = [0.2, Double.nan, 0.5]
        #expect(kernel(a, b) == 2, "two inactive coordinates are equal")
        // Against any active value of the dimension: the same covariance, below that of equal points.
        let active = [0.0, 0.3, 0.7, 1.0].map { kernel(a, [0.2, $0, 0.5]) }
        #expect(active.allSatisfy { abs($0 - active[0]) < 1e-15 && $0 < 2 }, "\(active)")
        // On the arc: inactive is as far from any active value as the arc's radius, c = 0.5, and two
        // active values are a chord apart, close to their difference when it is small.
        let c = Matern52Kernel.inactiveDistance, ell = 0.5
        let radiusApart = 2 * matern52(c * c / (ell * ell))
        #expect(abs(active[0] - radiusApart) < 1e-12)
        let near = kernel([0.2, 0.40, 0.5], [0.2, 0.41, 0.5]), plain = 2 * matern52(0.01 * 0.01 / (ell * ell))
        #expect(abs(near - plain) < 1e-6)
        // A categorical inactive coordinate is a category of its own.
        let inactiveCategory = kernel([0.2, 0.3, .nan], [0.2, 0.3, .nan])
        let mismatch = kernel([0.2, 0.3, .nan], [0.2, 0.3, 0.5])
        #expect(inactiveCategory == 2 && mismatch < 2 && abs(mismatch - kernel([0.2, 0.3, 0.1], [0.2, 0.3, 0.5])) < 1e-12)
    }

    /// The arc embedding keeps the kernel matrix positive definite with inactive points among
    /// close active ones (a constant distance on a line would not be).
    @Test func kernelMatricesWithInactivePointsArePositiveDefinite() throws {
        var rng = Xoshiro256StarStar(seed: 9)
        let dims: [DimensionKind] = [.conditional(.continuous), .conditional(.continuous)]
        let kernel = Matern52Kernel(lengthscales: [2, 3], outputscale: 1, dimensions: dims)
        // Many points, some inactive in one or both coordinates, some active ones very close.
        let points = (0..<60).map { i -> [Double] in
            [i % 3 == 0 ? .nan : rng.nextUnitDouble(), i % 5 == 0 ? .nan : 0.5 + 0.001 * rng.nextUnitDouble()]
        }
        var gram = [Double](repeating: 0, count: 60 * 60)
        for i in 0..<60 { for j in 0..<60 { gram[j * 60 + i] = kernel(points[i], points[j]) } }
        // Without jitter beyond 1e-10 of the scale: only rounding may need help.
        let factor = try CholeskyFactor.factorize(gram, order: 60, maxRelativeJitter: 1e-8)
        #expect(factor.jitter <= 1e-8)
    }

    @Test func fitGradientAndPosteriorStayFiniteAndExact() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let dims: [DimensionKind] = [.continuous, .conditional(.continuous), .conditional(.categorical(count: 3))]
        // The second coordinate is inactive on about half the points, the third on a quarter.
        let xs = (0..<16).map { i -> [Double] in
            [rng.nextUnitDouble(), i % 2 == 0 ? .nan : rng.nextUnitDouble(), i % 4 == 1 ? .nan : dims[2].snap(rng.nextUnitDouble())]
        }
        let ys = xs.map { sin(3 * $0[0]) + ($0[1].isNaN ? 0.5 : $0[1] * $0[1]) }
        let objective = HyperparameterObjective(inputs: xs, values: ys, dimensions: dims)
        for theta in [[-1.0, 0.2, 0.5, 0.1, -3.0], [0.3, -0.5, -1.2, -0.4, -6.0]] {
            let analytic = objective.evaluate(theta).gradient
            let numeric = centralDifference({ objective.evaluate($0).value }, at: theta, step: 1e-5)
            for i in 0..<theta.count {
                #expect(analytic[i].isFinite && abs(analytic[i] - numeric[i]) < 1e-5 * max(1, abs(numeric[i])),
                        "θ_\(i): \(analytic[i]) vs \(numeric[i])")
            }
        }
        let model = try GaussianProcessModel.fit(inputs: xs, values: ys, dimensions: dims, seed: 3)
        // A point with an inactive coordinate: finite posterior, no slope along that coordinate.
        let posterior = model.predictWithGradient(at: [0.4, .nan, dims[2].snap(0.5)])
        #expect(posterior.mean.isFinite && posterior.standardDeviation.isFinite)
        #expect(posterior.meanGradient[1] == 0 && posterior.standardDeviationGradient[1] == 0)
        #expect(posterior.meanGradient[0].isFinite && posterior.meanGradient[0] != 0)
        // Along an active conditional coordinate, the slope matches finite differences.
        let x = [0.4, 0.3, dims[2].snap(0.5)]
        let analytic = model.predictWithGradient(at: x)
        let h = 1e-6
        let up = model.predict([[0.4, 0.3 + h, x[2]]]).mean[0], down = model.predict([[0.4, 0.3 - h, x[2]]]).mean[0]
        #expect(abs(analytic.meanGradient[1] - (up - down) / (2 * h)) < 1e-4 * max(1, abs(analytic.meanGradient[1])))
        // At an observed point with an inactive coordinate the posterior follows the data.
        let seen = model.predict([xs[0]])
        #expect(abs(seen.mean[0] - ys[0]) < 0.1 * (ys.max()! - ys.min()!))
    }
}
