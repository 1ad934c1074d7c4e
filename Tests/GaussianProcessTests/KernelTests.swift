import SeededRandom
import Foundation
import Testing
@testable import GaussianProcess

/// Central finite difference of a scalar function of a vector.
func centralDifference(_ f: ([Double]) -> Double, at x: [Double], step h: Double = 1e-6) -> [Double] {
    (0..<x.count).map { i in
        var a = x, b = x
        a[i] += h; b[i] -= h
        return (f(a) - f(b)) / (2 * h)
    }
}

/// Closed-form Matérn-5/2 profile used as an independent check.
func maternReference(_ r: Double) -> Double {
    (1 + 5.0.squareRoot() * r + 5 * r * r / 3) * exp(-5.0.squareRoot() * r)
}

@Suite struct KernelTests {
    @Test func maternValuesMatchClosedForm() {
        let kernel = Matern52Kernel(lengthscales: [0.5, 2.0], outputscale: 1.7)
        let a = [0.1, 0.9], b = [0.4, 0.2]
        let r = ((0.3 / 0.5) * (0.3 / 0.5) + (0.7 / 2) * (0.7 / 2)).squareRoot()
        #expect(abs(kernel(a, b) - 1.7 * maternReference(r)) < 1e-14)
        #expect(abs(kernel(a, a) - 1.7) < 1e-15)
        #expect(abs(kernel(a, b) - kernel(b, a)) < 1e-15)
    }

    @Test func categoricalDimensionUsesHammingDistance() {
        let dims: [DimensionKind] = [.continuous, .categorical(count: 3)]
        let kernel = Matern52Kernel(lengthscales: [0.5, 0.8], outputscale: 1, dimensions: dims)
        let same = kernel([0.2, 0.1], [0.2, 0.3])  // both in category 0
        let different = kernel([0.2, 0.1], [0.2, 0.9])
        #expect(abs(same - 1) < 1e-15)
        #expect(abs(different - maternReference(1 / 0.8)) < 1e-14)
        #expect(DimensionKind.categorical(count: 4).snap(0.6) == 0.625)
        #expect(DimensionKind.discrete(levels: [0, 0.3, 1]).snap(0.4) == 0.3)
    }

    @Test func choleskyEscalatesJitterAndThrowsWhenHopeless() throws {
        // Rank-one matrix (duplicate points, no noise) needs jitter.
        let factor = try CholeskyFactor.factorize([1, 1, 1, 1], order: 2)
        #expect(factor.jitter > 0 && factor.jitter <= 1e-4)
        #expect(throws: GaussianProcessError.self) { try CholeskyFactor.factorize([1, 0, 0, -1], order: 2) }
    }

    @Test func borderedCholeskyMatchesFullFactorization() throws {
        let a: [Double] = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]
        let full = try CholeskyFactor.factorize(a, order: 3)
        let top = try CholeskyFactor.factorize([4, 1, 1, 3], order: 2)
        let extended = try top.appending(cross: [0.5, 0.2], block: [2], count: 1)
        for i in 0..<9 { #expect(abs(full.lower[i] - extended.lower[i]) < 1e-14) }
    }
}

@Suite struct PosteriorTests {
    let hp = Hyperparameters(lengthscales: [0.3, 0.7], outputscale: 1.3, noiseVariance: 0.01)

    @Test func singlePointPosterior() throws {
        let model = try GaussianProcessModel(inputs: [[0.2, 0.4]], values: [5], hyperparameters: hp)
        let x = [0.5, 0.5]
        let kernel = Matern52Kernel(lengthscales: hp.lengthscales, outputscale: hp.outputscale)
        let k = kernel([0.2, 0.4], x)
        let p = model.predict([x])
        // One point: ȳ = 5, σ_y = 1, ỹ = 0 ⇒ mean 5; variance s − k²/(s + σ²).
        #expect(abs(p.mean[0] - 5) < 1e-14)
        #expect(abs(p.variance[0] - (1.3 - k * k / (1.3 + 0.01))) < 1e-13)
    }

    @Test func twoPointPosteriorMatchesClosedForm() throws {
        let xs = [[0.1, 0.2], [0.6, 0.9]]
        let ys = [1.0, 3.0]
        let model = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: hp)
        let kernel = Matern52Kernel(lengthscales: hp.lengthscales, outputscale: hp.outputscale)
        let mean = 2.0, sd = 2.0.squareRoot()
        let yt = ys.map { ($0 - mean) / sd }
        let a = 1.3 + 0.01, b = kernel(xs[0], xs[1])
        let det = a * a - b * b
        let inv = [[a / det, -b / det], [-b / det, a / det]]
        for x in [[0.3, 0.5], [0.1, 0.2], [0.9, 0.05]] {
            let k = [kernel(xs[0], x), kernel(xs[1], x)]
            var mu = 0.0, q = 0.0
            for i in 0..<2 { for j in 0..<2 { mu += k[i] * inv[i][j] * yt[j]; q += k[i] * inv[i][j] * k[j] } }
            let p = model.predict([x])
            #expect(abs(p.mean[0] - (mean + sd * mu)) < 1e-12)
            #expect(abs(p.variance[0] - sd * sd * (1.3 - q)) < 1e-12)
            let g = model.predictWithGradient(at: x)
            #expect(abs(g.mean - p.mean[0]) < 1e-12)
            #expect(abs(g.standardDeviation - p.variance[0].squareRoot()) < 1e-12)
        }
    }

    @Test func priorMeanOffsetMatchesClosedForm() throws {
        // Prior mean m = ȳ + k·σ_y: μ(x) = m + σ_y · k(x)ᵀ K⁻¹ (y − m)/σ_y; the variance does not change.
        let xs = [[0.1, 0.2], [0.6, 0.9]]
        let ys = [1.0, 3.0]
        let offset = 4.0
        let centered = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: hp)
        let shifted = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: hp, priorMeanOffset: offset)
        let kernel = Matern52Kernel(lengthscales: hp.lengthscales, outputscale: hp.outputscale)
        let sd = 2.0.squareRoot(), prior = 2.0 + offset * sd
        #expect(abs(shifted.outputMean - prior) < 1e-12)
        let a = 1.3 + 0.01, b = kernel(xs[0], xs[1])
        let det = a * a - b * b
        let inv = [[a / det, -b / det], [-b / det, a / det]]
        let yt = ys.map { ($0 - prior) / sd }
        for x in [[0.3, 0.5], [0.1, 0.2], [0.9, 0.05]] {
            let k = [kernel(xs[0], x), kernel(xs[1], x)]
            var mu = 0.0
            for i in 0..<2 { for j in 0..<2 { mu += k[i] * inv[i][j] * yt[j] } }
            let p = shifted.predict([x])
            #expect(abs(p.mean[0] - (prior + sd * mu)) < 1e-12)
            #expect(abs(p.variance[0] - centered.predict([x]).variance[0]) < 1e-12)
            let g = shifted.predictWithGradient(at: x)
            #expect(abs(g.mean - p.mean[0]) < 1e-12)
        }
        // Near the data the model still follows it; far away it expects the pessimistic prior mean.
        #expect(abs(shifted.predict([[0.1, 0.2]]).mean[0] - 1) < 0.1)
        let far = Hyperparameters(lengthscales: [0.01, 0.01], outputscale: 1.3, noiseVariance: 0.01)
        let local = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: far, priorMeanOffset: offset)
        #expect(abs(local.predict([[0.95, 0.05]]).mean[0] - prior) < 1e-9)
        #expect(local.predict([[0.95, 0.05]]).mean[0] > ys.max()!)
        // No spread to measure the offset in: one value, or equal values, keep a centred prior.
        let single = try GaussianProcessModel(inputs: [[0.5, 0.5]], values: [0.25], hyperparameters: hp, priorMeanOffset: offset)
        #expect(single.outputMean == 0.25)
        let flat = try GaussianProcessModel(inputs: xs, values: [2, 2], hyperparameters: hp, priorMeanOffset: offset)
        #expect(flat.outputMean == 2)
    }

    @Test func posteriorGradientsMatchFiniteDifferences() throws {
        var rng = Xoshiro256StarStar(seed: 7)
        let dims: [DimensionKind] = [.continuous, .continuous, .categorical(count: 3)]
        let xs = (0..<12).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble(), dims[2].snap(rng.nextUnitDouble())] }
        let ys = xs.map { sin(5 * $0[0]) + $0[1] * $0[1] + $0[2] }
        let h = Hyperparameters(lengthscales: [0.25, 0.4, 0.9], outputscale: 1.1, noiseVariance: 1e-3)
        let model = try GaussianProcessModel(inputs: xs, values: ys, dimensions: dims, hyperparameters: h)
        for _ in 0..<5 {
            let x = [rng.nextUnitDouble(), rng.nextUnitDouble(), dims[2].snap(rng.nextUnitDouble())]
            let p = model.predictWithGradient(at: x)
            let fdMean = centralDifference({ model.predictWithGradient(at: $0).mean }, at: x)
            let fdStd = centralDifference({ model.predictWithGradient(at: $0).standardDeviation }, at: x)
            for j in 0..<2 {
                #expect(abs(p.meanGradient[j] - fdMean[j]) < 1e-6 * max(1, abs(fdMean[j])))
                #expect(abs(p.standardDeviationGradient[j] - fdStd[j]) < 1e-6 * max(1, abs(fdStd[j])))
            }
            #expect(p.meanGradient[2] == 0 && p.standardDeviationGradient[2] == 0)
        }
    }

    @Test func fantasiesMatchRebuiltModel() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let xs = (0..<10).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble()] }
        let ys = xs.map { $0[0] * 3 - $0[1] }
        let model = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: hp)
        let pending = [[0.5, 0.5], [0.9, 0.1]]
        let fantasy = try model.conditionedOnFantasies(pending)
        let fantasyValues = model.predict(pending).mean
        let rebuilt = try GaussianProcessModel(
            flatInputs: (xs + pending).flatMap { $0 }, values: ys + fantasyValues,
            standardized: (ys + fantasyValues).map { ($0 - model.outputMean) / model.outputScale },
            outputMean: model.outputMean, outputScale: model.outputScale,
            dimensions: [.continuous, .continuous], hyperparameters: hp)
        let probe = [[0.3, 0.7], [0.5, 0.5], [0.55, 0.45]]
        let a = fantasy.predict(probe), b = rebuilt.predict(probe)
        for j in 0..<3 {
            #expect(abs(a.mean[j] - b.mean[j]) < 1e-10)
            #expect(abs(a.variance[j] - b.variance[j]) < 1e-10)
        }
        // Kriging believer keeps the mean and collapses the variance at the pending point.
        #expect(abs(a.mean[1] - model.predict([[0.5, 0.5]]).mean[0]) < 1e-9)
        #expect(a.variance[1] < 0.2 * model.predict([[0.5, 0.5]]).variance[0])
    }

    @Test func excludingRowsUndoesConditioning() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let xs = (0..<12).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble()] }
        let ys = xs.map { sin(4 * $0[0]) + $0[1] }
        let model = try GaussianProcessModel(inputs: xs, values: ys, hyperparameters: hp)
        // Rows 3, 7 and 11 out: the model of the other nine, with the same standardization.
        let out: Set<Int> = [3, 7, 11]
        let kept = xs.indices.filter { !out.contains($0) }
        let reduced = try model.excluding(rows: out)
        let rebuilt = try GaussianProcessModel(
            flatInputs: kept.flatMap { xs[$0] }, values: kept.map { ys[$0] },
            standardized: kept.map { (ys[$0] - model.outputMean) / model.outputScale },
            outputMean: model.outputMean, outputScale: model.outputScale,
            dimensions: [.continuous, .continuous], hyperparameters: hp)
        #expect(reduced.count == 9)
        let probe = [xs[3], xs[7], [0.2, 0.9]]
        let a = reduced.predict(probe), b = rebuilt.predict(probe), full = model.predict(probe)
        for j in 0..<3 {
            #expect(abs(a.mean[j] - b.mean[j]) < 1e-10)
            #expect(abs(a.variance[j] - b.variance[j]) < 1e-10)
        }
        #expect(a.variance[0] > 2 * full.variance[0], "row 3 is no longer observed")
        #expect(try model.excluding(rows: []).count == 12)
    }

    /// Joint draws computed together are the draws one point at a time: each value from the
    /// posterior given the draw's earlier values, then conditioned on, bit for bit.
    @Test func jointDrawsAreTheOneAtATimeDraws() throws {
        var rng = Xoshiro256StarStar(seed: 7)
        let xs = (0..<20).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble()] }
        let model = try GaussianProcessModel(inputs: xs, values: xs.map { sin(5 * $0[0]) - $0[1] }, hyperparameters: hp)
        let points = [[0.3, 0.6], [0.32, 0.61], [0.9, 0.2]]
        let normals = [[0.5, -1.2, 2.0], [-0.3, 0.0, 1.1], [1.7, 1.7, -2.4]]
        let draws = try model.jointDraws(at: points, normals: normals)
        #expect(draws.count == 3)
        let probe = [[0.31, 0.6], [0.5, 0.5]]
        for (draw, z) in zip(draws, normals) {
            var sampled = model
            var values: [Double] = []
            for (point, normal) in zip(points, z) {
                let posterior = sampled.predict([point])
                let value = posterior.mean[0] + max(posterior.variance[0], 0).squareRoot() * normal
                sampled = try sampled.conditionedOnFantasies([point], values: [value])
                values.append(value)
            }
            #expect(draw.values == values)
            #expect(draw.model.count == 23)
            let a = draw.model.predict(probe), b = sampled.predict(probe)
            #expect(a.mean == b.mean && a.variance == b.variance)
        }
        // The second point, next to the first, follows its draw: the draws differ there.
        #expect(abs(draws[0].values[1] - draws[2].values[1]) > 0.1)
        #expect(throws: GaussianProcessError.self) { try model.jointDraws(at: points, normals: [[0.1]]) }
    }

    /// Siblings (one model conditioned on the same pending points at other values) are predicted
    /// together: each gets exactly what its own prediction gives, values and gradients.
    @Test func siblingsPredictedTogetherMatchTheirOwnPredictions() throws {
        var rng = Xoshiro256StarStar(seed: 6)
        let xs = (0..<15).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble()] }
        let model = try GaussianProcessModel(inputs: xs, values: xs.map { cos(3 * $0[0]) * $0[1] }, hyperparameters: hp)
        let pending = [[0.3, 0.6], [0.8, 0.1]]
        let siblings = try [[-1.0, 0.5], [0.2, 2.0], [1.5, -0.7]].map { try model.conditionedOnFantasies(pending, values: $0) }
        let probe = [[0.31, 0.58], [0.5, 0.5], [0.05, 0.95], [0.79, 0.12]]
        let together = siblings[0].predict(rowMajor: probe.flatMap { $0 }, count: probe.count, alongside: Array(siblings.dropFirst()))
        #expect(together.count == 3)
        for (sibling, shared) in zip(siblings, together) {
            let own = sibling.predict(probe)
            #expect(shared.mean == own.mean && shared.variance == own.variance)
        }
        // The draws differ where they were drawn, and share the variance.
        #expect(abs(together[0].mean[0] - together[1].mean[0]) > 0.1)
        for x in probe {
            let shared = siblings[0].predictWithGradient(at: x, alongside: Array(siblings.dropFirst()))
            for (sibling, posterior) in zip(siblings, shared) {
                let own = sibling.predictWithGradient(at: x)
                #expect(posterior.mean == own.mean && posterior.standardDeviation == own.standardDeviation)
                #expect(posterior.meanGradient == own.meanGradient && posterior.standardDeviationGradient == own.standardDeviationGradient)
            }
        }
    }
}

@Suite struct RandomTests {
    @Test func generatorIsDeterministic() {
        var a = Xoshiro256StarStar(seed: 42), b = Xoshiro256StarStar(seed: 42), c = Xoshiro256StarStar(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        var u = Xoshiro256StarStar(seed: 1)
        let mean = (0..<20000).map { _ in u.nextUnitDouble() }.reduce(0, +) / 20000
        #expect(abs(mean - 0.5) < 0.01)
    }
}
