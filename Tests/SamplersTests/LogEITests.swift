import Foundation
import Testing
@testable import Samplers
import GaussianProcess

/// Reference values from make_logei_fixtures.py (mpmath, 80 digits, no asymptotic formulas).
enum LogEIFixture {
    static let logH: [(z: Double, value: Double)] = [
        (8.0, 2.0794415416798359377),
        (3.0, 1.0987396653277077727),
        (1.0, 0.080026218849306940029),
        (0.25, -0.62297823090676788688),
        (0.0, -0.91893853320467274178),
        (-0.5, -1.6205162643873199193),
        (-0.999, -2.4832171154475854412),
        (-1.0, -2.4851210257126413368),
        (-1.001, -2.4870256579553892129),
        (-1.5, -3.5299359208057098515),
        (-2.5, -6.2125416454435128635),
        (-4.0, -11.849061577550663111),
        (-6.0, -22.578879392169797367),
        (-10.0, -55.553122036122355927),
        (-20.0, -206.91783850942509785),
        (-30.0, -457.72465376059800405),
        (-37.5, -711.29474844751272227),
        (-50.0, -1258.7441828684608531),
        (-100.0, -5010.1295788002497923),
        (-300.0, -45012.326536814554207),
        (-999.0, -499015.23245109650025),
        (-1001.0, -501015.23645108583364),
        (-3000.0, -4500016.9316740018384),
        (-100000.0, -5000000023.9447894634),
        (-100000000.0, -5000000000000037.7603),
    ]
    static let logEI: [(mean: Double, sigma: Double, incumbent: Double, value: Double, dMean: Double, dSigma: Double)] = [
        (0.0, 1.0, 0.0, -0.91893853320467274178, -1.2533141373155002512, 1.0),  // z = 0
        (1.2, 0.3, 0.9, -3.689093830038577014, -6.3475707777656391993, 9.6809041110989714815),  // z = -1
        (-2.0, 0.5, 1.0, 1.098612288694169188, -0.33333333299578428613, 2.0252942832216503462e-9),  // z = 6
        (3.0, 0.1, 2.0, -57.855707129116395897, -101.94383033412552195, 1029.4383033412551623),  // z = -10
        (0.5, 2.0, -1.5, -1.7919738451526960273, -0.95213561666484591146, 1.4521356166648459115),  // z = -1
        (10.0, 1.0, 0.0, -55.553122036122355927, -10.194383033412553306, 102.94383033412553306),  // z = -10
        (2.0, 0.1, -1.0, -460.02723885359199961, -300.66446154162415572, 9029.9338462487241702),  // z = -30
        (1.0, 0.01, 0.0, -5014.7347489862376755, -10001.999400419586089, 1000299.9400419585881),  // z = -100
        (5.0, 0.05, 0.0, -5013.125311073803228, -2000.399880083917079, 200059.98800839169679),  // z = -100
    ]
}

func centralDifference(_ f: ([Double]) -> Double, at x: [Double], step h: Double = 1e-6) -> [Double] {
    (0..<x.count).map { i in
        var a = x, b = x
        a[i] += h; b[i] -= h
        return (f(a) - f(b)) / (2 * h)
    }
}

@Suite struct LogEITests {
    @Test func logHMatchesHighPrecisionReference() {
        for (z, reference) in LogEIFixture.logH {
            let value = LogExpectedImprovement.logH(z)
            #expect(abs(value - reference) <= 1e-13 * max(1, abs(reference)), "z = \(z): \(value) vs \(reference)")
        }
    }

    @Test func logEIAndDerivativesMatchReference() {
        for c in LogEIFixture.logEI {
            let e = LogExpectedImprovement.evaluate(mean: c.mean, standardDeviation: c.sigma, incumbent: c.incumbent)
            #expect(abs(e.value - c.value) <= 1e-12 * max(1, abs(c.value)), "value at μ=\(c.mean) σ=\(c.sigma)")
            #expect(abs(e.dMean - c.dMean) <= 1e-9 * max(1, abs(c.dMean)), "∂μ at μ=\(c.mean) σ=\(c.sigma): \(e.dMean) vs \(c.dMean)")
            #expect(abs(e.dStandardDeviation - c.dSigma) <= 1e-9 * max(1, abs(c.dSigma)), "∂σ at μ=\(c.mean) σ=\(c.sigma)")
        }
    }

    @Test func naiveFormulaUnderflowsWhereLogEIStaysFinite() {
        let z = -100.0
        let naive = log(exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() + z * 0.5 * erfc(-z / 2.0.squareRoot()))
        #expect(!naive.isFinite)
        #expect(LogExpectedImprovement.logH(z).isFinite)
    }

    @Test func derivativesMatchFiniteDifferencesAcrossBranches() {
        for z in [2.0, -0.3, -0.9999, -1.0001, -7.0, -40.0, -999.5, -1000.5, -2e4] {
            let sigma = 0.7, incumbent = 0.2
            let mean = incumbent - z * sigma
            let e = LogExpectedImprovement.evaluate(mean: mean, standardDeviation: sigma, incumbent: incumbent)
            let h = 1e-6 * max(1, abs(mean))
            let fdMean = (LogExpectedImprovement.value(mean: mean + h, standardDeviation: sigma, incumbent: incumbent)
                - LogExpectedImprovement.value(mean: mean - h, standardDeviation: sigma, incumbent: incumbent)) / (2 * h)
            let hs = 1e-7
            let fdSigma = (LogExpectedImprovement.value(mean: mean, standardDeviation: sigma + hs, incumbent: incumbent)
                - LogExpectedImprovement.value(mean: mean, standardDeviation: sigma - hs, incumbent: incumbent)) / (2 * hs)
            #expect(abs(e.dMean - fdMean) <= 1e-5 * max(1, abs(fdMean)), "z = \(z)")
            #expect(abs(e.dStandardDeviation - fdSigma) <= 1e-4 * max(1, abs(fdSigma)), "z = \(z)")
        }
    }

    @Test func branchesAreContinuous() {
        for z in [-1.0, -1000.0] {
            let below = LogExpectedImprovement.logH(z.nextDown), above = LogExpectedImprovement.logH(z.nextUp)
            #expect(abs(below - above) < 1e-9 * max(1, abs(z * z)))
        }
        #expect(abs(StableMath.erfcx(30) - 0.018795888861416751) < 1e-17)
    }
}

@Suite struct QuasiRandomTests {
    @Test func unscrambledSequenceMatchesScipy() {
        // scipy.stats.qmc.Sobol(d=512, scramble=False).random(1024), scaled by 2^32 and summed.
        var sequence = QuasiRandomSequence(dimension: 512, seed: 0, scrambled: false)
        var total: UInt64 = 0, first40: UInt64 = 0
        var rows: [[Double]] = []
        for _ in 0..<1024 {
            let p = sequence.next()
            rows.append(p)
            for (j, v) in p.enumerated() {
                let u = UInt64(v * 0x1.0p32)
                total += u
                if j < 40 { first40 += u }
            }
        }
        #expect(total == 1124800395214848)
        #expect(first40 == 87875030876160)
        #expect([0, 1, 39, 200, 511].map { rows[1023][$0] } == [0.0009765625, 0.7529296875, 0.6982421875, 0.6591796875, 0.6142578125])
        #expect([2, 3, 100, 511].map { rows[777][$0] } == [0.1630859375, 0.2744140625, 0.8427734375, 0.7978515625])
    }

    @Test func scrambledSequenceIsDeterministicStratifiedAndSeedDependent() {
        var a = QuasiRandomSequence(dimension: 41, seed: 9), b = QuasiRandomSequence(dimension: 41, seed: 9)
        var c = QuasiRandomSequence(dimension: 41, seed: 10)
        let pa = a.nextBatch(1024), pb = b.nextBatch(1024), pc = c.nextBatch(1024)
        #expect(pa == pb)
        #expect(pa != pc)
        #expect(pa.allSatisfy { $0 >= 0 && $0 < 1 })
        // Every one-dimensional projection of the first 2^10 points hits each 1/1024 cell exactly once.
        for j in [0, 1, 17, 40] {
            let cells = Set((0..<1024).map { Int(pa[$0 * 41 + j] * 1024) })
            #expect(cells.count == 1024)
        }
    }
}
