import SeededRandom
import Foundation
import Testing
@testable import GaussianProcess

/// Data set and optimum produced by make_gp_fixtures.py (scipy L-BFGS-B, 21 starts, numeric gradients).
enum GPFixture {
    static let inputs: [[Double]] = [[0.6180339887498949, 0.4142135623730951, 0.7320508075688772], [0.2360679774997898, 0.8284271247461902, 0.4641016151377544], [0.8541019662496847, 0.24264068711928521, 0.19615242270663158], [0.4721359549995796, 0.6568542494923804, 0.9282032302755088], [0.09016994374947451, 0.0710678118654755, 0.660254037844386], [0.7082039324993694, 0.48528137423857043, 0.39230484541326316], [0.3262379212492643, 0.8994949366116658, 0.1243556529821408], [0.9442719099991592, 0.3137084989847607, 0.8564064605510175], [0.5623058987490541, 0.7279220613578556, 0.5884572681198943], [0.18033988749894903, 0.142135623730951, 0.32050807568877193], [0.7983738762488439, 0.5563491861040459, 0.05255888325764957], [0.41640786499873883, 0.9705627484771409, 0.7846096908265263], [0.03444185374863373, 0.3847763108502358, 0.5166604983954031], [0.6524758424985286, 0.7989898732233316, 0.2487113059642816], [0.27050983124842354, 0.21320343559642652, 0.9807621135331583], [0.8885438199983184, 0.6274169979695214, 0.7128129211020351], [0.5065778087482133, 0.04163056034261636, 0.44486372867091184], [0.12461179749810825, 0.4558441227157113, 0.1769145362397886], [0.7426457862480031, 0.8700576850888071, 0.9089653438086671], [0.36067977499789805, 0.284271247461902, 0.6410161513775439], [0.978713763747793, 0.6984848098349961, 0.3730669589464206], [0.5967477524976879, 0.11269837220809187, 0.10511776651529914], [0.21478174124758276, 0.5269119345811877, 0.8371685740841741], [0.8328157299974777, 0.9411254969542817, 0.5692193816530526]]
    static let values: [Double] = [-0.5387236832786374, 0.49264630516483815, -0.657427233115454, -0.05555193729028076, 1.0782999063981817, -0.9929258708547039, 0.5389745174943579, -0.3061981903417258, -0.6586000510271401, 1.303798023110081, -1.3454672852153524, 0.2661599318617109, 0.25619140655871053, -1.155119656081286, 1.4693082731518552, -1.097598804639696, 0.6710150746595733, 0.571790480182621, -1.3808347292343015, 1.0539312495005373, -0.8749953192830431, 0.01954021761076066, 0.8066275151267037, -1.2650936307923193]
    static let bestObjective = 7.016871435356431
    static let bestTheta: [Double] = [-0.8149505714658355, 0.04603766561391577, 1.6489231135410118, 0.25448499649969564, -8.256525784326264]
    static let modeObjective = 103.19286923855688
}

@Suite struct LBFGSTests {
    func rosenbrock(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let a = 1 - x[0], b = x[1] - x[0] * x[0]
        return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
    }

    @Test func unconstrainedRosenbrock() {
        var options = LBFGS.Options()
        options.maxIterations = 500
        options.maxEvaluations = 2000
        options.functionTolerance = 0
        options.gradientTolerance = 1e-9
        let result = LBFGS(options: options).minimize(from: [-1.2, 1], objective: rosenbrock)
        #expect(abs(result.x[0] - 1) < 1e-6 && abs(result.x[1] - 1) < 1e-6)
    }

    @Test func boundedRosenbrockStopsOnTheBound() {
        var options = LBFGS.Options()
        options.maxIterations = 500
        options.maxEvaluations = 2000
        let result = LBFGS(options: options).minimize(from: [-1.2, 1], lower: [-2, -2], upper: [0.5, 2], objective: rosenbrock)
        #expect(result.x[0] == 0.5)
        #expect(abs(result.x[1] - 0.25) < 1e-4)
    }

    @Test func boundedQuadraticWithTwoActiveBounds() {
        let c = [2.0, -3.0, 0.3]
        func quadratic(_ x: [Double]) -> (value: Double, gradient: [Double]) {
            var value = 0.0
            var gradient = [Double](repeating: 0, count: 3)
            for i in 0..<3 {
                value += (x[i] - c[i]) * (x[i] - c[i])
                gradient[i] = 2 * (x[i] - c[i])
            }
            return (value, gradient)
        }
        let result = LBFGS().minimize(from: [0.5, 0.5, 0.5], lower: [0, 0, 0], upper: [1, 1, 1], objective: quadratic)
        #expect(result.x[0] == 1 && result.x[1] == 0 && abs(result.x[2] - 0.3) < 1e-6)
    }
}

@Suite struct FitTests {
    @Test func objectiveGradientMatchesFiniteDifferences() {
        var rng = Xoshiro256StarStar(seed: 11)
        let dims: [DimensionKind] = [.continuous, .categorical(count: 4), .continuous]
        let xs = (0..<15).map { _ in [rng.nextUnitDouble(), dims[1].snap(rng.nextUnitDouble()), rng.nextUnitDouble()] }
        let ys = xs.map { cos(4 * $0[0]) + 2 * $0[1] - $0[2] }
        let objective = HyperparameterObjective(inputs: xs, values: ys, dimensions: dims)
        for theta in [[-1.0, 0.2, 0.5, 0.1, -3.0], [0.3, -0.5, -1.2, -0.4, -6.0], [1.5, 1.0, 0.0, 0.7, -1.0]] {
            let analytic = objective.evaluate(theta).gradient
            let numeric = centralDifference({ objective.evaluate($0).value }, at: theta, step: 1e-5)
            for i in 0..<theta.count {
                #expect(abs(analytic[i] - numeric[i]) < 1e-5 * max(1, abs(numeric[i])), "θ_\(i): \(analytic[i]) vs \(numeric[i])")
            }
        }
    }

    @Test func objectiveMatchesIndependentImplementation() {
        let objective = HyperparameterObjective(inputs: GPFixture.inputs, values: GPFixture.values)
        #expect(abs(objective.evaluate(GPFixture.bestTheta).value - GPFixture.bestObjective) < 1e-8)
        let mode = Array(repeating: 0.0, count: 3) + [0, -8]
        #expect(abs(objective.evaluate(mode).value - GPFixture.modeObjective) < 1e-8 * GPFixture.modeObjective)
    }

    @Test func fittedHyperparametersMatchScipy() {
        let dims = [DimensionKind](repeating: .continuous, count: 3)
        let hp = GaussianProcessModel.fitHyperparameters(
            inputs: GPFixture.inputs, values: GPFixture.values, dimensions: dims, warmStart: nil, seed: 5)
        let objective = HyperparameterObjective(inputs: GPFixture.inputs, values: GPFixture.values)
        let value = objective.evaluate(hp.logParameters).value
        #expect(value <= GPFixture.bestObjective + 1e-4, "Swift optimum \(value) vs scipy \(GPFixture.bestObjective)")
        for (a, b) in zip(hp.logParameters, GPFixture.bestTheta) { #expect(abs(a - b) < 0.05) }
    }

    @Test func fitIsDeterministicAndUsesWarmStart() throws {
        let dims = [DimensionKind](repeating: .continuous, count: 3)
        let a = GaussianProcessModel.fitHyperparameters(inputs: GPFixture.inputs, values: GPFixture.values, dimensions: dims, warmStart: nil, seed: 9)
        let b = GaussianProcessModel.fitHyperparameters(inputs: GPFixture.inputs, values: GPFixture.values, dimensions: dims, warmStart: nil, seed: 9)
        #expect(a == b)
        var options = FitOptions()
        options.restarts = 0
        options.skipDefaultStartWhenWarm = true
        let warm = GaussianProcessModel.fitHyperparameters(inputs: GPFixture.inputs, values: GPFixture.values, dimensions: dims, warmStart: a, options: options, seed: 1)
        let objective = HyperparameterObjective(inputs: GPFixture.inputs, values: GPFixture.values)
        #expect(abs(objective.evaluate(warm.logParameters).value - objective.evaluate(a.logParameters).value) < 1e-6)
        let model = try GaussianProcessModel.fit(inputs: GPFixture.inputs, values: GPFixture.values, seed: 9)
        #expect(model.hyperparameters == a)
    }
}
