import Foundation
import GaussianProcess
import SeededRandom
import Testing
import TrialModel
@testable import Samplers

@Suite struct LogEHVITests {
    /// Two GPs on a few points of [0,1]², for a region with a front.
    static func models() throws -> [GaussianProcessModel] {
        let inputs: [[Double]] = [[0.1, 0.2], [0.4, 0.9], [0.7, 0.3], [0.9, 0.8], [0.3, 0.5], [0.6, 0.6]]
        let first = inputs.map { $0[0] * $0[0] + 0.3 * $0[1] }, second = inputs.map { (1 - $0[0]) * (1 - $0[0]) + 0.2 * $0[1] }
        let hyper = Hyperparameters(lengthscales: [0.4, 0.6], outputscale: 1, noiseVariance: 1e-4)
        return try [first, second].map {
            try GaussianProcessModel(inputs: inputs, values: $0, dimensions: [.continuous, .continuous], hyperparameters: hyper)
        }
    }

    /// EHVI against a Monte Carlo average of the hypervolume improvement of draws from the posterior.
    @Test func expectationMatchesMonteCarlo() throws {
        let front: [[Double]] = [[0.1, 0.8], [0.3, 0.5], [0.6, 0.2]]
        let region = NondominatedRegion(reference: [1, 1], points: front)
        var random = Xoshiro256StarStar(seed: 11)
        for (mean, deviation) in [([0.35, 0.4], [0.1, 0.15]), ([0.9, 0.9], [0.05, 0.05]), ([0.2, 0.3], [0.3, 0.02])] {
            let exact = exp(LogEHVIAcquisition.logEHVI(means: mean, deviations: deviation, region: region, gradients: false).value)
            var sum = 0.0
            let draws = 200_000
            for _ in 0..<draws {
                let y = [mean[0] + deviation[0] * random.nextGaussian(), mean[1] + deviation[1] * random.nextGaussian()]
                sum += region.improvement(of: y)
            }
            let estimate = sum / Double(draws)
            #expect(abs(exact - estimate) < 0.02 * max(exact, 1e-3), "\(mean) \(deviation): \(exact) against \(estimate)")
        }
        // Far behind the front the value is tiny but its log still ranks points.
        let far = LogEHVIAcquisition.logEHVI(means: [3, 3], deviations: [0.1, 0.1], region: region, gradients: false).value
        let farther = LogEHVIAcquisition.logEHVI(means: [4, 4], deviations: [0.1, 0.1], region: region, gradients: false).value
        #expect(far.isFinite && farther.isFinite && farther < far && far < -50)
    }

    /// With one objective, EHVI is expected improvement over the best value.
    @Test func oneObjectiveIsExpectedImprovement() {
        let region = NondominatedRegion(reference: [5], points: [[1.0], [2.0]])
        for (mean, deviation) in [(0.5, 0.3), (1.4, 0.2), (8.0, 0.5)] {
            let ehvi = LogEHVIAcquisition.logEHVI(means: [mean], deviations: [deviation], region: region, gradients: false).value
            let ei = LogExpectedImprovement.value(mean: mean, standardDeviation: deviation, incumbent: 1)
            #expect(abs(ehvi - ei) < 1e-9, "\(mean): \(ehvi) against \(ei)")
        }
    }

    /// The gradient of log EHVI × P(feasible) against central differences.
    @Test func gradientMatchesFiniteDifferences() throws {
        let models = try Self.models()
        let region = NondominatedRegion(reference: [1.2, 1.2], points: [[0.2, 0.7], [0.5, 0.3]])
        let bound = LogEHVIAcquisition.Bound(model: models[0], lower: nil, upper: 0.4)
        for minimum in [0.0, 0.9] {
            let acquisition = LogEHVIAcquisition(objectives: models, region: region, bounds: [bound], minimumFeasibility: minimum)
            for x in [[0.3, 0.4], [0.55, 0.15], [0.8, 0.7]] {
                let (value, gradient) = acquisition.valueAndGradient(at: x)
                #expect(abs(value - acquisition.values(rowMajor: x, count: 1)[0]) < 1e-9)
                for j in 0..<2 {
                    var up = x, down = x
                    up[j] += 1e-6; down[j] -= 1e-6
                    let numeric = (acquisition.valueAndGradient(at: up).value - acquisition.valueAndGradient(at: down).value) / 2e-6
                    #expect(abs(numeric - gradient[j]) < 1e-4 * max(1, abs(numeric)), "x \(x) coordinate \(j): \(gradient[j]) against \(numeric)")
                }
            }
        }
    }

    @Test func feasibilityIsTheNormalProbability() {
        let cases: [(Double?, Double?, Double)] = [(nil, 1, 0.841344746), (1, nil, 0.158655254), (-1, 1, 0.682689492), (2, 3, 0.021400234)]
        for (lower, upper, probability) in cases {
            let model = try! Self.models()[0]
            let f = LogEHVIAcquisition.logFeasibility(mean: 0, deviation: 1,
                                                      bound: .init(model: model, lower: lower, upper: upper))
            #expect(abs(exp(f.value) - probability) < 1e-8, "\(String(describing: lower)) \(String(describing: upper))")
        }
    }
}

@Suite struct MultiObjectiveSamplerTests {
    static func spec(constraint: Bool) -> StudySpec {
        let space = SearchSpace([Parameter(name: "x", domain: .float(low: 0, high: 1, log: false)),
                                 Parameter(name: "y", domain: .float(low: 0, high: 1, log: false))])
        var spec = StudySpec(name: "mo", metric: .init(name: "a", goal: .minimize), budget: .init(trials: 30),
                             optimizer: .init(kind: .gpEI, initialTrials: 6, seed: 3), space: space)
        spec.metrics = [.init(name: "a", goal: .minimize), .init(name: "b", goal: .maximize)]
        if constraint { spec.constraints = [.init(name: "c", max: 0.5)] }
        return spec
    }

    static func evaluate(_ configuration: Configuration) -> [String: Double] {
        let x = configuration["x"]!.numericValue!, y = configuration["y"]!.numericValue!
        return ["a": x * x + 0.2 * y, "b": 1 - (1 - x) * (1 - x) - 0.2 * y, "c": y]
    }

    /// A sequential study beats quasi-random search on hypervolume, never repeats a configuration,
    /// and with a constraint keeps its later suggestions feasible.
    @Test(arguments: [false, true])
    func findsAFrontWithoutRepeats(constraint: Bool) throws {
        let spec = Self.spec(constraint: constraint)
        func run(_ sampler: any Sampler) throws -> [Trial] {
            var trials: [Trial] = []
            for index in 0..<30 {
                let configuration = try #require(try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)))
                #expect(!trials.contains { $0.configuration == configuration })
                let values = Self.evaluate(configuration)
                trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: configuration,
                                    value: values["a"], finishedAt: Date(timeIntervalSince1970: Double(index)), values: values))
            }
            return trials
        }
        let model = try run(makeSampler(for: spec))
        let random = try run(RandomSampler(seed: 3))
        let reference = [1.0, 0.0]
        func volume(_ trials: [Trial]) -> Double {
            Pareto.hypervolume(trials.filter { spec.isFeasible($0) }.compactMap { spec.minimizedObjectives(of: $0) }, reference: reference)
        }
        #expect(volume(model) > volume(random) * 1.05, "model \(volume(model)) against random \(volume(random))")
        if constraint {
            let late = model.suffix(15).count { !spec.isFeasible($0) }
            #expect(late <= 3, "\(late) of the last 15 suggestions infeasible")
        }
    }

    /// Running trials are pending: concurrent suggestions are distinct and do not pile onto one spot.
    @Test func pendingTrialsSpreadTheSuggestions() throws {
        let spec = Self.spec(constraint: true)
        let sampler = try makeSampler(for: spec)
        var trials: [Trial] = []
        for index in 0..<10 {
            let configuration = try #require(RandomSampler(seed: 9).suggestNow(StudyHistory(spec: spec, trials: trials)))
            trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: configuration,
                                value: Self.evaluate(configuration)["a"], values: Self.evaluate(configuration)))
        }
        var suggested: [Configuration] = []
        for index in 0..<4 {
            let configuration = try #require(try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)))
            suggested.append(configuration)
            trials.append(Trial(id: TrialID(Int64(11 + index)), state: .running, configuration: configuration))
        }
        #expect(Set(suggested).count == 4)
        let points = suggested.map { [$0["x"]!.numericValue!, $0["y"]!.numericValue!] }
        let closest = points.indices.flatMap { i in points.indices.filter { $0 > i }.map { j in
            max(abs(points[i][0] - points[j][0]), abs(points[i][1] - points[j][1])) } }.min()!
        #expect(closest > 1e-3, "\(points)")
    }

    /// The study file's feasibility margin reaches the acquisition; without one, the default.
    @Test func theStudysFeasibilityMarginIsUsed() throws {
        var spec = Self.spec(constraint: true)
        #expect((try makeSampler(for: spec) as? GPEISampler)?.optimizer.configuration.minimumFeasibility == 0.9)
        spec.optimizer.feasibilityMargin = 0
        #expect((try makeSampler(for: spec) as? GPEISampler)?.optimizer.configuration.minimumFeasibility == 0)
    }

    /// Before any trial is feasible, the search looks for feasibility.
    @Test func withoutAFeasibleTrialItSeeksOne() throws {
        let spec = Self.spec(constraint: true)
        var trials: [Trial] = []
        for (index, y) in [0.9, 0.8, 0.95, 0.7, 0.85, 0.75, 0.9, 0.65].enumerated() {
            let configuration = Configuration(["x": .double(Double(index) / 8), "y": .double(y)])
            trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: configuration,
                                value: Self.evaluate(configuration)["a"], values: Self.evaluate(configuration)))
        }
        let configuration = try #require(try makeSampler(for: spec).suggestNow(StudyHistory(spec: spec, trials: trials)))
        #expect(configuration["y"]!.numericValue! < 0.65, "\(configuration)")
    }
}
