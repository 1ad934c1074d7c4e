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

    @Option(help: "GP-EI: search again when a suggestion rounds to a configuration already tried (true/false).")
    var retryDuplicates = BayesianOptimizer.Configuration().retryDuplicates

    @Flag(help: "Also print each seed's regret after 20 and after all trials.")
    var perSeed = false

    @Flag(help: "Print instead, per function, how many sequential trials each worker count's study is worth (see OptimizerBench+Worth.swift).")
    var worth = false

    @Option(help: "With --worth: trials of the sequential studies, so a worth above --trials can be found (0: --trials).")
    var worthTrials = 0

    @Option(help: "GP-EI, conditional spaces: the coordinate an inactive parameter takes in the model (nan: the kernel's inactive handling; a number in [0, 1]: that value, as if it were one).")
    var inactiveFill = Double.nan

    @Option(help: "GP-EI: quasi-random trials before the first model.")
    var initialTrials = StudySpec.Optimizer().initialTrials

    @Option(help: "Problems (comma-separated): test functions branin, hartmann6, ackley5, rosenbrock4; branin-diverging; held out from tuning: hartmann3, levy4, styblinski-tang4, six-hump-camel; `test` for those eight. Realistic (needs onnxruntime and SEXTANT_LCBENCH_DIR): lcbench-167149, lcbench-167185, lcbench-167104, lcbench-189862, lcbench-168330, lcbench-167161, budget-mlp; `realistic` for all seven.")
    var functions = TestFunction.all.map(\.name).joined(separator: ",")

    @Option(help: "Warm start: before each study, run a sequential GP-EI study of this many trials on the same problem and give its completed trials to the study (0: off).")
    var warmStartTrials = 0

    @Option(help: "Warm start: the earlier study's seed is the study's seed plus this.")
    var warmStartSeedOffset = 1000

    @Option(help: "Also print the median number of trials until a trial's regret is at most this (0: off; a study that never gets there counts as --trials + 1).")
    var targetRegret = 0.0

    func run() async throws {
        if worth { return try printWorth() }
        let problems = try BenchProblem.named(functions, evaluator: try RealisticEvaluator())
        print("optimizer    workers function        regret@10  regret@20  regret@\(trials)  suggest ms  duplicates"
              + (targetRegret > 0 ? "  trials to \(targetRegret)" : ""))
        for optimizer in optimizers.split(separator: ",").map(String.init) {
            for concurrency in workers.split(separator: ",").compactMap({ Int($0) }) {
                // Medians per LCBench task, for the mean over tasks printed after them.
                var lcbench: [[Double]] = []
                for problem in problems {
                    var regret10: [Double] = [], regret20: [Double] = [], regret50: [Double] = [], latencies: [Double] = []
                    var duplicates = 0, reached: [Double] = []
                    for seed in firstSeed..<(firstSeed + seeds) {
                        var warmStart: [Trial] = []
                        if warmStartTrials > 0 {
                            warmStart = try study(problem, optimizer: "gp-ei", seed: UInt64(seed + warmStartSeedOffset), workers: 1,
                                                  count: warmStartTrials).trials
                        }
                        let run = try study(problem, optimizer: optimizer, seed: UInt64(seed), workers: concurrency,
                                            warmStart: warmStart)
                        reached.append(Double(run.trials(toReach: problem.minimum + targetRegret) ?? trials + 1))
                        regret10.append(run.best(after: min(10, trials)) - problem.minimum)
                        regret20.append(run.best(after: min(20, trials)) - problem.minimum)
                        regret50.append(run.best(after: trials) - problem.minimum)
                        latencies += run.latencies
                        if perSeed {
                            print(String(format: "  seed %2d  %@  regret@20 %10.4g  regret@%d %10.4g", seed,
                                         problem.name.padding(toLength: 14, withPad: " ", startingAt: 0),
                                         regret20.last!, trials, regret50.last!))
                        }
                        duplicates += run.duplicates
                    }
                    let medians = [Summary(regret10).median, Summary(regret20).median, Summary(regret50).median]
                    if problem.name.hasPrefix("lcbench-") { lcbench.append(medians) }
                    var figures = String(format: "%7d %@ %10.4g %10.4g %10.4g %11.2f %11d", concurrency,
                                         problem.name.padding(toLength: max(15, problem.name.count), withPad: " ", startingAt: 0),
                                         medians[0], medians[1], medians[2],
                                         Summary(latencies).median * 1e3, duplicates)
                    if targetRegret > 0 {
                        let median = Summary(reached).median
                        figures += median > Double(trials) ? "  >\(trials)" : String(format: "  %g", median)
                    }
                    print(optimizer.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + figures)
                }
                if lcbench.count > 1 {
                    let means = (0..<3).map { k in lcbench.map { $0[k] }.reduce(0, +) / Double(lcbench.count) }
                    print(optimizer.padding(toLength: 12, withPad: " ", startingAt: 0)
                          + String(format: " %7d %@ %10.4f %10.4f %10.4f", concurrency,
                                   "mean of \(lcbench.count) LCBench".padding(toLength: 15, withPad: " ", startingAt: 0),
                                   means[0], means[1], means[2]))
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
        /// The study's trials, completed with the values the optimizer saw.
        var trials: [Trial]
        /// How many trials until one's true value was at most `target`; nil if none was.
        func trials(toReach target: Double) -> Int? {
            values.firstIndex { $0 <= target }.map { $0 + 1 }
        }
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
    /// `count` trials (default `--trials`); `warmStart`: an earlier study's trials, for GP-EI.
    func study(_ problem: BenchProblem, optimizer: String, seed: UInt64, workers: Int, count: Int? = nil,
               warmStart: [Trial] = []) throws -> Run {
        let trials = count ?? self.trials
        let space = problem.space
        let spec = StudySpec(name: problem.name, metric: .init(name: "y", goal: .minimize),
                             budget: .init(trials: trials),
                             optimizer: .init(kind: optimizer == "random" ? .random : .gpEI, initialTrials: initialTrials, seed: seed),
                             space: space)
        var configuration = BayesianOptimizer.Configuration()
        configuration.pendingRadius = pendingRadius
        configuration.fantasySamples = fantasySamples
        configuration.fantasyClip = fantasyClip
        configuration.outlierGap = outlierGap
        configuration.halfRankWarping = halfRank
        configuration.priorMeanOffset = priorMeanOffset
        configuration.inactiveFill = inactiveFill
        configuration.retryDuplicates = retryDuplicates
        let gp = GPEISampler(seed: seed, initialTrials: initialTrials, configuration: configuration)
        let random = RandomSampler(seed: seed)
        var trialsSoFar: [Trial] = []
        var values: [Double] = [], latencies: [Double] = []
        let clock = ContinuousClock()
        func suggest() throws -> Trial {
            var history = StudyHistory(spec: spec, trials: trialsSoFar)
            history.warmStart = warmStart
            let start = clock.now
            let configuration = optimizer == "random" ? random.suggestNow(history) : try gp.suggestNow(history)
            latencies.append((clock.now - start).seconds)
            return Trial(id: TrialID(Int64(trialsSoFar.count + 1)), state: .running, configuration: configuration!)
        }
        var observed: [Double] = []
        var noiseSource = Xoshiro256StarStar(seed: 0x5EED_0000 &+ seed)
        func finish(_ index: Int) throws {
            let value = try problem.evaluate(trialsSoFar[index].configuration)
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
            while inFlight.count >= (trialsSoFar.count < sequentialTrials ? 1 : workers) { try finish(inFlight.removeFirst()) }
        }
        for index in inFlight { try finish(index) }
        let duplicates = trialsSoFar.count - Set(trialsSoFar.map(\.configuration)).count
        return Run(observed: observed, values: values, latencies: latencies, duplicates: duplicates, trials: trialsSoFar)
    }
}
