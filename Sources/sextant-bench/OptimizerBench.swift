import SeededRandom
import ArgumentParser
import Foundation
import GaussianProcess
import Samplers
import TrialModel

/// Simple regret and suggest latency of Sextant's samplers on the test functions,
/// sequentially and with concurrent workers (pending trials).
struct OptimizerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimizer",
        abstract: "Median simple regret after 20 and 50 trials, and suggest latency, per function."
    )

    @Option(help: "Seeds per function (first-seed, first-seed + 1, ...).")
    var seeds = 10

    @Option(help: "First seed.")
    var firstSeed = 0

    @Option(help: "Trials per study.")
    var trials = 50

    @Option(help: "Concurrent workers to simulate (comma-separated, 1 = sequential).")
    var workers = "1,4"

    @Option(help: "Samplers: gp-ei, random.")
    var optimizers = "gp-ei,random"

    @Option(help: "Suggest the first N trials one at a time, each after every earlier result; the rest with the workers in flight (what blindness costs at the end only).")
    var sequentialTrials = 0

    @Option(help: "Standard deviation of Gaussian noise added to every value the optimizer sees (0); regret is then that of the trial with the best observed value, at its true value.")
    var noise = 0.0

    @Option(help: "GP-EI: keep-away radius around pending points, in lengthscales.")
    var pendingRadius = BayesianOptimizer.Configuration().pendingRadius

    @Option(help: "GP-EI: Monte Carlo samples of pending outcomes (0 or 1: kriging believer only).")
    var fantasySamples = BayesianOptimizer.Configuration().fantasySamples

    @Option(help: "GP-EI: fantasy draws cut to the posterior mean ± this many standard deviations.")
    var fantasyClip = Double.infinity

    @Option(help: "GP-EI: a band of values beyond a gap this many times the range of the rest is moved next to it (inf: off).")
    var outlierGap = BayesianOptimizer.Configuration().outlierGap

    @Option(help: "GP-EI: prior mean this many standard deviations above the values' mean.")
    var priorMeanOffset = BayesianOptimizer.Configuration().priorMeanOffset

    @Option(help: "GP-EI: fit on half-rank warped values (true/false).")
    var halfRank = BayesianOptimizer.Configuration().halfRankWarping

    @Flag(help: "Also print each seed's regret after 20 and after all trials.")
    var perSeed = false

    @Flag(help: "Print instead, per function, how many sequential trials each worker count's study is worth (see OptimizerBench+Worth.swift).")
    var worth = false

    @Option(help: "With --worth: trials of the sequential studies, so a worth above --trials can be found (0: --trials).")
    var worthTrials = 0

    @Option(help: "Functions (comma-separated): branin, hartmann6, ackley5, rosenbrock4; branin-diverging; held out from tuning: hartmann3, levy4, styblinski-tang4, six-hump-camel.")
    var functions = TestFunction.all.map(\.name).joined(separator: ",")

    func run() async throws {
        if worth { return try printWorth() }
        print("optimizer    workers function       regret@20  regret@50  suggest ms  duplicates")
        for optimizer in optimizers.split(separator: ",").map(String.init) {
            for concurrency in workers.split(separator: ",").compactMap({ Int($0) }) {
                for name in functions.split(separator: ",").map(String.init) {
                    guard let function = (TestFunction.all + TestFunction.extra + TestFunction.heldOut).first(where: { $0.name == name }) else {
                        throw ValidationError("unknown function \(name)")
                    }
                    var regret20: [Double] = [], regret50: [Double] = [], latencies: [Double] = []
                    var duplicates = 0
                    for seed in firstSeed..<(firstSeed + seeds) {
                        let run = try study(function, optimizer: optimizer, seed: UInt64(seed), workers: concurrency)
                        regret20.append(run.best(after: min(20, trials)) - function.minimum)
                        regret50.append(run.best(after: trials) - function.minimum)
                        latencies += run.latencies
                        if perSeed {
                            print(String(format: "  seed %2d  %@  regret@20 %10.4g  regret@%d %10.4g", seed,
                                         name.padding(toLength: 12, withPad: " ", startingAt: 0),
                                         regret20.last!, trials, regret50.last!))
                        }
                        duplicates += run.duplicates
                    }
                    let figures = String(format: "%7d %@ %10.4g %10.4g %11.2f %11d", concurrency,
                                         name.padding(toLength: 13, withPad: " ", startingAt: 0),
                                         Summary(regret20).median, Summary(regret50).median,
                                         Summary(latencies).median * 1e3, duplicates)
                    print(optimizer.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + figures)
                }
            }
        }
    }

    struct Run {
        /// What the optimizer was told, in completion order (the true values plus any noise).
        var observed: [Double]
        /// The noise-free values of the same trials.
        var values: [Double]
        var latencies: [Double]
        var duplicates: Int
        /// The true value of the trial with the best observed value among the first `count`: the
        /// configuration a user would pick.
        func best(after count: Int) -> Double {
            guard let index = observed.prefix(count).indices.min(by: { observed[$0] < observed[$1] }) else { return .nan }
            return values[index]
        }
    }

    /// One study. With `workers` > 1 it keeps that many trials in flight: each time the oldest
    /// finishes, the next suggestion is made with the others still running (pending). Trials
    /// before `sequentialTrials` finish before the next suggestion.
    func study(_ function: TestFunction, optimizer: String, seed: UInt64, workers: Int) throws -> Run {
        let space = SearchSpace(function.bounds.enumerated().map { index, bound in
            Parameter(name: "x\(index)", domain: .float(low: bound.low, high: bound.high, log: false))
        })
        let spec = StudySpec(name: function.name, metric: .init(name: "y", goal: .minimize),
                             budget: .init(trials: trials),
                             optimizer: .init(kind: optimizer == "random" ? .random : .gpEI, initialTrials: 8, seed: seed),
                             space: space)
        var configuration = BayesianOptimizer.Configuration()
        configuration.pendingRadius = pendingRadius
        configuration.fantasySamples = fantasySamples
        configuration.fantasyClip = fantasyClip
        configuration.outlierGap = outlierGap
        configuration.halfRankWarping = halfRank
        configuration.priorMeanOffset = priorMeanOffset
        let gp = GPEISampler(seed: seed, initialTrials: 8, configuration: configuration)
        let random = RandomSampler(seed: seed)
        var trialsSoFar: [Trial] = []
        var values: [Double] = [], latencies: [Double] = []
        let clock = ContinuousClock()
        func suggest() throws -> Trial {
            let history = StudyHistory(spec: spec, trials: trialsSoFar)
            let start = clock.now
            let configuration = optimizer == "random" ? random.suggestNow(history) : try gp.suggestNow(history)
            latencies.append((clock.now - start).seconds)
            return Trial(id: TrialID(Int64(trialsSoFar.count + 1)), state: .running, configuration: configuration!)
        }
        var observed: [Double] = []
        var noiseSource = Xoshiro256StarStar(seed: 0x5EED_0000 &+ seed)
        func finish(_ index: Int) {
            let x = space.parameters.map { trialsSoFar[index].configuration[$0.name]?.numericValue ?? .nan }
            let value = function.evaluate(x)
            let seen = noise > 0 ? value + noise * noiseSource.nextGaussian() : value
            trialsSoFar[index].state = .completed
            trialsSoFar[index].value = seen
            values.append(value)
            observed.append(seen)
        }
        var inFlight: [Int] = []
        while trialsSoFar.count < trials {
            trialsSoFar.append(try suggest())
            inFlight.append(trialsSoFar.count - 1)
            while inFlight.count >= (trialsSoFar.count < sequentialTrials ? 1 : workers) { finish(inFlight.removeFirst()) }
        }
        for index in inFlight { finish(index) }
        let duplicates = trialsSoFar.count - Set(trialsSoFar.map(\.configuration)).count
        return Run(observed: observed, values: values, latencies: latencies, duplicates: duplicates)
    }
}
