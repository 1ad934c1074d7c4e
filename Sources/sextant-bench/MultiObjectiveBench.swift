import ArgumentParser
import Foundation
import GaussianProcess
import Samplers
import TrialModel

/// Hypervolume of Sextant's samplers on standard multi-objective problems with known fronts, and
/// suggest latency with two objectives and a constraint. Writes every trial's values as JSON lines,
/// in the format `peers/compare_multiobjective.py` writes for Optuna, whose `summarize` mode turns
/// both into the tables of docs/benchmarks.md.
struct MultiObjectiveBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multiobjective",
        abstract: "Hypervolume after 50 and 100 trials on BraninCurrin, DTLZ2, ZDT3 and C2-DTLZ2; suggest latency."
    )

    @Option(help: "Seeds per problem (first-seed, first-seed + 1, ...).")
    var seeds = 10

    @Option(help: "First seed.")
    var firstSeed = 0

    @Option(help: "Trials per study.")
    var trials = 100

    @Option(help: "Concurrent workers to simulate (1 = sequential).")
    var workers = 1

    @Option(help: "Samplers (comma-separated): gp-ei, random.")
    var methods = "gp-ei,random"

    @Option(help: "Problems (comma-separated): branin-currin, dtlz2, zdt3, c2-dtlz2; branin-currin-disc (constrained, not in the default set).")
    var problems = ["branin-currin", "dtlz2", "zdt3", "c2-dtlz2"].joined(separator: ",")

    @Option(help: "Append each study's values as one JSON line to this file.")
    var out: String?

    @Option(help: "GP-EI: fit each objective on half-rank warped values (true/false).")
    var halfRank = BayesianOptimizer.Configuration().halfRankWarpingPerObjective

    @Option(help: "GP-EI: each objective's prior mean this many standard deviations above its values' mean.")
    var priorMeanOffset = BayesianOptimizer.Configuration().priorMeanOffset

    @Option(help: "GP-EI: model one-sided constraints with their bound at 0 and far values compressed (true/false).")
    var constraintWarping = BayesianOptimizer.Configuration().constraintWarping

    @Option(help: "GP-EI: below this believed probability of feasibility the acquisition falls steeply (0: off).")
    var minimumFeasibility = BayesianOptimizer.Configuration().minimumFeasibility

    @Option(help: "GP-EI with several objectives: ehvi (a GP per objective, log EHVI) or parego (a GP on a random Chebyshev scalarization per suggestion).")
    var acquisition = "ehvi"

    @Option(help: "The method's name in --out (default sextant-METHOD, with -Nw for N workers).")
    var label: String?

    @Flag(help: "Instead: the median time of 5 suggestions after 200 results on c2-dtlz2 (2 objectives, 1 constraint).")
    var latency = false

    func run() async throws {
        if latency { return try measureLatency() }
        let chosen = try problems.split(separator: ",").map { name in
            guard let problem = MultiObjectiveProblem.all.first(where: { $0.name == name }) else {
                throw ValidationError("unknown problem \(name); known: \(MultiObjectiveProblem.all.map(\.name).joined(separator: ", "))")
            }
            return problem
        }
        print("method        workers problem         HV@50 (median)  HV@\(trials) (median)  suggest ms (median)")
        for method in methods.split(separator: ",").map(String.init) {
            for problem in chosen {
                var at50: [Double] = [], atEnd: [Double] = [], latencies: [Double] = []
                for seed in firstSeed..<(firstSeed + seeds) {
                    let run = try study(problem, method: method, seed: UInt64(seed))
                    at50.append(problem.hypervolume(run.values.prefix(50), run.constraints?.prefix(50)))
                    atEnd.append(problem.hypervolume(run.values[...], run.constraints?[...]))
                    latencies += run.latencies
                    if let out { try append(run, problem: problem, method: method, seed: seed, to: out) }
                    FileHandle.standardError.write(Data(String(
                        format: "%@ %@ seed %d: HV@50 %.4f HV@%d %.4f\n", method, problem.name, seed, at50.last!, trials, atEnd.last!).utf8))
                }
                print(String(format: "%@ %7d %@ %14.4f %16.4f %20.1f", method.padding(toLength: 13, withPad: " ", startingAt: 0),
                             workers, problem.name.padding(toLength: 15, withPad: " ", startingAt: 0),
                             Summary(at50).median, Summary(atEnd).median, Summary(latencies).median * 1e3))
            }
        }
    }

    struct Run {
        var values: [[Double]]
        var constraints: [[Double]]?
        var latencies: [Double]
    }

    /// One study; with `workers` > 1 that many trials are in flight, the oldest finishing first.
    func study(_ problem: MultiObjectiveProblem, method: String, seed: UInt64, count: Int? = nil) throws -> Run {
        let spec = problem.spec(trials: count ?? trials, kind: method == "random" ? .random : .gpEI, seed: seed)
        var configuration = BayesianOptimizer.Configuration()
        configuration.halfRankWarpingPerObjective = halfRank
        configuration.priorMeanOffset = priorMeanOffset
        configuration.constraintWarping = constraintWarping
        configuration.minimumFeasibility = minimumFeasibility
        configuration.randomScalarization = acquisition == "parego"
        let sampler: any Sampler = method == "random"
            ? RandomSampler(seed: seed) : GPEISampler(seed: seed, initialTrials: spec.optimizer.initialTrials, configuration: configuration)
        var trialsSoFar: [Trial] = []
        var values: [[Double]] = [], constraints: [[Double]] = [], latencies: [Double] = []
        let clock = ContinuousClock()
        func finish(_ index: Int) {
            let outcome = problem.complete(&trialsSoFar[index], spec: spec)
            values.append(outcome.objectives)
            if !outcome.constraints.isEmpty { constraints.append(outcome.constraints) }
        }
        var inFlight: [Int] = []
        while trialsSoFar.count < spec.budget.trials {
            let start = clock.now
            guard let configuration = try sampler.suggestNow(StudyHistory(spec: spec, trials: trialsSoFar)) else { break }
            latencies.append((clock.now - start).seconds)
            trialsSoFar.append(Trial(id: TrialID(Int64(trialsSoFar.count + 1)), state: .running, configuration: configuration))
            inFlight.append(trialsSoFar.count - 1)
            while inFlight.count >= workers { finish(inFlight.removeFirst()) }
        }
        for index in inFlight { finish(index) }
        return Run(values: values, constraints: spec.bounds.isEmpty ? nil : constraints, latencies: latencies)
    }

    func append(_ run: Run, problem: MultiObjectiveProblem, method: String, seed: Int, to path: String) throws {
        let object: [String: Any] = [
            "problem": problem.name, "method": label ?? ("sextant-\(method)" + (workers > 1 ? "-\(workers)w" : "")), "seed": seed,
            "values": run.values, "constraints": run.constraints as Any? ?? NSNull(), "seconds": run.latencies,
        ]
        var line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    /// 200 completed trials of c2-dtlz2 (quasi-random), then 6 suggestions, each after one more
    /// result (the last suggestion's), as in a sequential study: the models take in the new result
    /// before each suggestion.
    func measureLatency() throws {
        let problem = MultiObjectiveProblem.all.first { $0.name == "c2-dtlz2" }!
        let spec = problem.spec(trials: 205, kind: .gpEI, seed: 1)
        let random = RandomSampler(seed: 1)
        var trials: [Trial] = []
        for index in 0..<200 {
            var trial = Trial(id: TrialID(Int64(index + 1)), state: .running,
                              configuration: random.suggestNow(StudyHistory(spec: spec, trials: trials))!)
            problem.complete(&trial, spec: spec)
            trials.append(trial)
        }
        let sampler = try makeSampler(for: spec)
        let clock = ContinuousClock()
        var times: [Double] = []
        for call in 0..<6 {
            // The first call fits the models from scratch (a coordinator does that once, when it
            // starts) and is reported apart; each later one has one more result to take in.
            let start = clock.now
            guard let configuration = try sampler.suggestNow(StudyHistory(spec: spec, trials: trials)) else { break }
            let seconds = (clock.now - start).seconds
            var trial = Trial(id: TrialID(Int64(trials.count + 1)), state: .running, configuration: configuration)
            problem.complete(&trial, spec: spec)
            trials.append(trial)
            if call == 0 {
                print(String(format: "first suggestion (models fit from scratch): %.1f ms", seconds * 1e3))
            } else {
                times.append(seconds)
            }
        }
        print(String(format: "suggest after 200-204 results, 2 objectives + 1 constraint: median %.1f ms of %d (min %.1f, max %.1f)",
                     Summary(times).median * 1e3, times.count, times.min()! * 1e3, times.max()! * 1e3))
    }
}

/// A multi-objective test problem on [0, 1]^d, every objective minimized; constraint values ≤ 0
/// are feasible.
struct MultiObjectiveProblem: Sendable {
    let name: String
    let dimension: Int
    let reference: [Double]
    let constraintCount: Int
    let evaluate: @Sendable ([Double]) -> (objectives: [Double], constraints: [Double])

    func spec(trials: Int, kind: OptimizerKind, seed: UInt64) -> StudySpec {
        let space = SearchSpace((0..<dimension).map { Parameter(name: "x\($0)", domain: .float(low: 0, high: 1, log: false)) })
        var spec = StudySpec(name: name, metric: .init(name: "f1", goal: .minimize), budget: .init(trials: trials),
                             optimizer: .init(kind: kind, seed: seed), space: space)
        spec.metrics = [.init(name: "f1", goal: .minimize), .init(name: "f2", goal: .minimize)]
        if constraintCount > 0 { spec.constraints = [.init(name: "c", max: 0)] }
        return spec
    }

    /// Evaluates `trial` and completes it with every objective and constraint value, as a worker's RESULT would.
    @discardableResult
    func complete(_ trial: inout Trial, spec: StudySpec) -> (objectives: [Double], constraints: [Double]) {
        let outcome = evaluate(spec.space.parameters.map { trial.configuration[$0.name]?.numericValue ?? .nan })
        trial.state = .completed
        for (objective, value) in zip(spec.objectives, outcome.objectives) { trial.values[objective.name] = value }
        for (bound, value) in zip(spec.bounds, outcome.constraints) { trial.values[bound.name] = value }
        trial.value = outcome.objectives[0]
        return outcome
    }

    /// The hypervolume of the feasible values against `reference`.
    func hypervolume(_ values: ArraySlice<[Double]>, _ constraints: ArraySlice<[Double]>?) -> Double {
        let feasible = values.indices.filter { i in constraints.map { $0[i].allSatisfy { $0 <= 0 } } ?? true }
        return Pareto.hypervolume(feasible.map { values[$0] }, reference: reference)
    }

    static func dtlz2(_ x: [Double], from first: Int = 1) -> [Double] {
        let g = x[first...].reduce(0) { $0 + ($1 - 0.5) * ($1 - 0.5) }
        return [(1 + g) * cos(x[0] * .pi / 2), (1 + g) * sin(x[0] * .pi / 2)]
    }

    static let all: [MultiObjectiveProblem] = [
        MultiObjectiveProblem(name: "branin-currin", dimension: 2, reference: [18, 6], constraintCount: 0) { x in
            let u = 15 * x[0] - 5, v = 15 * x[1]
            let branin = pow(v - 5.1 / (4 * .pi * .pi) * u * u + 5 / .pi * u - 6, 2) + 10 * (1 - 1 / (8 * .pi)) * cos(u) + 10
            let factor = x[1] == 0 ? 1 : 1 - exp(-1 / (2 * x[1]))
            let a = x[0]
            let currin = factor * (2300 * a * a * a + 1900 * a * a + 2092 * a + 60) / (100 * a * a * a + 500 * a * a + 4 * a + 20)
            return ([branin, currin], [])
        },
        // BraninCurrin within a disc of the Branin domain: (u − 2.5)² + (v − 7.5)² ≤ 50, a connected
        // feasible region whose edge cuts the front (as BoTorch's ConstrainedBraninCurrin).
        MultiObjectiveProblem(name: "branin-currin-disc", dimension: 2, reference: [80, 12], constraintCount: 1) { x in
            let u = 15 * x[0] - 5, v = 15 * x[1]
            let objectives = all[0].evaluate(x).objectives
            return (objectives, [(u - 2.5) * (u - 2.5) + (v - 7.5) * (v - 7.5) - 50])
        },
        MultiObjectiveProblem(name: "dtlz2", dimension: 6, reference: [1.1, 1.1], constraintCount: 0) { x in
            (dtlz2(x), [])
        },
        MultiObjectiveProblem(name: "zdt3", dimension: 6, reference: [11, 11], constraintCount: 0) { x in
            let f1 = x[0]
            let g = 1 + 9 / 5 * x[1...].reduce(0, +)
            let h = 1 - (f1 / g).squareRoot() - f1 / g * sin(10 * .pi * f1)
            return ([f1, g * h], [])
        },
        MultiObjectiveProblem(name: "c2-dtlz2", dimension: 4, reference: [1.1, 1.1], constraintCount: 1) { x in
            let f = dtlz2(x)
            let r = 0.1
            let corners = f.indices.map { i in
                f.indices.reduce(0) { $0 + ($1 == i ? (f[$1] - 1) * (f[$1] - 1) : f[$1] * f[$1]) } - r * r
            }
            let centre = f.reduce(0) { $0 + ($1 - 1 / 2.0.squareRoot()) * ($1 - 1 / 2.0.squareRoot()) } - r * r
            return (f, [min(corners.min()!, centre)])
        },
    ]
}
