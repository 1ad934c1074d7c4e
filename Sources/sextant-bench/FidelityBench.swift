import ArgumentParser
import Foundation
import Pruning
import Samplers
import TrialModel

/// Regret against epochs consumed on LCBench learning curves, for Sextant's multi-fidelity model
/// (`fidelity:`), GP-EI on full runs and GP-EI with ASHA, sequentially or with concurrent workers.
///
/// The coordinator's decisions are replayed in simulated time: each worker runs one trial, whose
/// epoch e is reported at its start plus the surrogate's cumulative training time at e. Reports
/// are handled in time order with the same code the coordinator runs (`GPEISampler`, `CurveModel`,
/// `ASHAPruner`); a freed worker asks for a suggestion that sees every report so far, the
/// running trials as pending. Trials start until the epochs reported reach the budget; the
/// running ones then finish or stop as they would.
///
/// Regret at a budget B: trials in the order they started, c_k the epochs trials 1..k consumed;
/// the best epoch-52 value of a trial that ran all 52 epochs with c_k ≤ B, minus the task's best
/// known value (the same definition as `peers/compare_fidelity.py`).
struct FidelityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fidelity",
        abstract: "Regret against epochs consumed on LCBench curves: the curve model, full runs, ASHA."
    )

    @Option(help: "LCBench tasks (comma-separated).")
    var tasks = "167149,167185,167104,189862,168330,167161"

    @Option(help: "Seeds: first-last or a comma-separated list.")
    var seeds = "0-9"

    @Option(help: "Concurrent workers to simulate.")
    var workers = 1

    @Option(help: "Methods: curves (fidelity: the curve model chooses and stops), full (GP-EI, full runs), asha (GP-EI with ASHA, min_steps 1, η 3).")
    var methods = "curves,full,asha"

    @Option(help: "Epochs after which no trial starts.")
    var epochsBudget = 2600

    @Option(help: "Budgets at which the regret is reported.")
    var budgets = "520,1040,1560,2600"

    @Option(help: "curves: fidelity.stop_probability.")
    var stopProbability = StudySpec.Fidelity(maxSteps: 52).stopProbability

    @Option(help: "curves: a trial stops only when its reports cut its probability below this fraction of the one before them (0: off).")
    var stopRatio = StudySpec.Fidelity(maxSteps: 52).stopRatio

    @Option(help: "curves: choose new trials by expected improvement at this step (default: max_steps).")
    var acquisitionStep: Int?

    @Option(help: "curves: fidelity.min_steps.")
    var minSteps = StudySpec.Fidelity(maxSteps: 52).minSteps

    @Option(help: "curves: the GP models departures from the median curve (true) or the values (false).")
    var baseline = true

    @Option(help: "curves: the model's step axis, log or linear.")
    var stepScale = "log"

    @Option(help: "curves: joint draws of the pending trials' outcomes averaged by the acquisition (0 or 1: the kriging believer).")
    var fantasySamples = BayesianOptimizer.Configuration().curveFantasySamples

    @Option(help: "GP-EI: quasi-random trials before the first model.")
    var initialTrials = StudySpec.Optimizer().initialTrials

    @Option(help: "Write every trial (start order, epochs, final value, the epoch-52 value a stopped one would have reached, its end in simulated seconds) of every run to this JSON file.")
    var jsonOut: String?

    @Option(help: "curves: the weight of a configuration's predicted log seconds per step in the acquisition (0: none; 1: EI per second).")
    var costWeight = 0.0

    @Option(help: "curves: write every assessment (task, seed, trial, step, forecast final with its 95% band, the true final, probabilities) to this file, one JSON object a line.")
    var assessmentsOut: String?

    static let maxSteps = 52

    struct Run: Codable {
        var method: String, task: String, seed: Int, workers: Int
        var epochs: [Int]
        var finals: [Double?]
        /// Each trial's epoch-52 value, also for the trials that stopped: what stopping gave up.
        var truths: [Double]
        /// When each trial ended, in simulated seconds from the study's start (the surrogate's
        /// training times, the workers running side by side): kept as is, since a trial's
        /// `finishedAt` date does not give these seconds back bit for bit.
        var ends: [Double]
        var regret: [String: Double?]
        var seconds: Double
    }

    func run() async throws {
        let evaluator = try RealisticEvaluator()
        if let assessmentsOut { _ = FileManager.default.createFile(atPath: assessmentsOut, contents: nil) }
        let log = try assessmentsOut.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) }
        let seedList = try Self.parseSeeds(seeds)
        let budgetList = budgets.split(separator: ",").compactMap { Int($0) }
        var runs: [Run] = []
        for method in methods.split(separator: ",").map(String.init) {
            for task in tasks.split(separator: ",").map(String.init) {
                let problem = try evaluator.problem(task, named: "lcbench-\(task)")
                for seed in seedList {
                    let clock = ContinuousClock(), start = clock.now
                    var run = try simulate(method: method, task: task, space: problem.space, seed: seed, evaluator: evaluator,
                                           log: log)
                    run.seconds = (clock.now - start) / .seconds(1)
                    for budget in budgetList {
                        run.regret[String(budget)] = Self.regret(run, budget: budget).map { $0 - problem.minimum }
                    }
                    let pruned = run.finals.count { $0 == nil }
                    FileHandle.standardError.write(Data((
                        "\(method) \(task) seed \(seed): \(run.epochs.count) trials (\(pruned) stopped), "
                        + "regret@1040 \(Self.text(run.regret["1040"] ?? nil)) @2600 \(Self.text(run.regret["2600"] ?? nil)), "
                        + "\(Int(run.seconds)) s\n").utf8))
                    runs.append(run)
                }
            }
        }
        if let jsonOut {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(runs).write(to: URL(fileURLWithPath: jsonOut))
        }
        print(Self.table(runs, budgets: budgetList, tasks: tasks.split(separator: ",").map(String.init)))
    }

    /// One study on one task: the trials in start order with the epochs each consumed and its
    /// epoch-52 value (nil when it stopped early).
    func simulate(method: String, task: String, space: SearchSpace, seed: Int, evaluator: RealisticEvaluator,
                  log: FileHandle? = nil) throws -> Run {
        var spec = StudySpec(name: "lcbench-\(task)", metric: .init(name: "val_loss", goal: .minimize),
                             budget: .init(trials: 100_000), space: space)
        spec.optimizer.seed = UInt64(seed)
        spec.optimizer.initialTrials = initialTrials
        var curves: CurveModel?
        var pruner: (any Pruner)?
        switch method {
        case "curves":
            let fidelity = StudySpec.Fidelity(maxSteps: Self.maxSteps, minSteps: minSteps, stopProbability: stopProbability,
                                              stopRatio: stopRatio)
            spec.fidelity = fidelity
            curves = CurveModel(fidelity: fidelity, seed: spec.optimizer.seed, baseline: baseline, logSteps: stepScale != "linear",
                                acquisitionStep: acquisitionStep)
        case "asha":
            pruner = ASHAPruner(minSteps: 1, reductionFactor: 3)
        case "full":
            break
        default:
            throw BenchError("unknown method \(method); known: curves, full, asha")
        }
        var configuration = BayesianOptimizer.Configuration()
        configuration.curveFantasySamples = fantasySamples
        configuration.costWeight = costWeight
        let sampler = GPEISampler(seed: spec.optimizer.seed, initialTrials: spec.optimizer.initialTrials,
                                  configuration: configuration, curves: curves)

        struct Running { var index: Int; var start: Double; var values: [Double]; var times: [Double]; var epoch: Int }
        var trials: [Trial] = []
        var history = ReportHistory(goal: .minimize)
        var running: [Running] = []
        var truths: [Double] = []
        var ends: [Double] = []
        var consumed = 0
        var now = 0.0
        var bestCompleted: Double?

        func startTrials() throws {
            while running.count < workers, consumed < epochsBudget {
                var study = StudyHistory(spec: spec, trials: trials)
                if curves != nil { study.reports = history.values }
                guard let configuration = try sampler.suggestNow(study) else { return }
                let id = TrialID(Int64(trials.count + 1))
                var started = Trial(id: id, state: .running, configuration: configuration)
                started.startedAt = Date(timeIntervalSince1970: now)
                trials.append(started)
                let (values, times) = try Self.curve(task: task, configuration: configuration, evaluator: evaluator)
                running.append(Running(index: trials.count - 1, start: now, values: values, times: times, epoch: 0))
                truths.append(values[values.count - 1])
                ends.append(.nan)
            }
        }

        try startTrials()
        while !running.isEmpty {
            // The next report in simulated time.
            let next = running.indices.min { a, b in
                running[a].start + running[a].times[running[a].epoch] < running[b].start + running[b].times[running[b].epoch]
            }!
            var trial = running[next]
            now = trial.start + trial.times[trial.epoch]
            let step = trial.epoch + 1, value = trial.values[trial.epoch]
            let id = trials[trial.index].id
            history.record(trial: id, step: step, value: value)
            consumed += 1
            trials[trial.index].step = step
            var stop = false
            if step < Self.maxSteps {
                if let pruner { stop = pruner.shouldPrune(trial: id, step: step, history: history) }
                // Every report is assessed, as the coordinator does: the first one keeps what was expected of the trial.
                if let curves, let fidelity = spec.fidelity,
                   let assessment = curves.assess(trial: id, configuration: trials[trial.index].configuration, space: space,
                                                  reports: history.values[id] ?? [:], bestCompleted: bestCompleted) {
                    stop = stop || fidelity.stops(atStep: step, probability: assessment.probability,
                                                  priorProbability: assessment.priorProbability)
                    if let log {
                        var line: [String: Any] = [
                            "task": task, "seed": seed, "trial": trial.index, "step": step, "value": value,
                            "mean": assessment.final.mean, "low": assessment.final.low, "high": assessment.final.high,
                            "truth": trial.values[trial.values.count - 1], "probability": assessment.probability,
                            "prior": assessment.priorProbability ?? -1, "stop": stop]
                        line["target"] = assessment.target
                        log.write(try JSONSerialization.data(withJSONObject: line) + Data("\n".utf8))
                    }
                }
            }
            if step == Self.maxSteps || stop {
                trials[trial.index].state = stop ? .pruned : .completed
                ends[trial.index] = now
                trials[trial.index].finishedAt = Date(timeIntervalSince1970: now)
                trials[trial.index].value = value
                if !stop { bestCompleted = min(bestCompleted ?? .infinity, value) }
                running.remove(at: next)
                // The coordinator refits the curve model when a trial ends (GP-EI does it for its suggestion).
                try startTrials()
            } else {
                trial.epoch += 1
                running[next] = trial
            }
        }
        return Run(method: method, task: task, seed: seed, workers: workers,
                   epochs: trials.map { $0.step ?? 0 },
                   finals: trials.map { $0.state == .completed ? $0.value : nil }, truths: truths, ends: ends, regret: [:], seconds: 0)
    }

    static func curve(task: String, configuration: Configuration, evaluator: RealisticEvaluator) throws -> ([Double], [Double]) {
        let reply = try evaluator.ask(["curve": task, "config": RealisticEvaluator.json(configuration)])
        guard let values = reply["values"] as? [Double], let times = reply["times"] as? [Double],
              values.count == maxSteps, times.count == maxSteps else {
            throw BenchError("evaluator: no curve for \(task)")
        }
        return (values, times)
    }

    /// The best epoch-52 value among full runs within `budget` epochs (start order), if any.
    static func regret(_ run: Run, budget: Int) -> Double? {
        var consumed = 0
        var best: Double?
        for (epochs, final) in zip(run.epochs, run.finals) {
            consumed += epochs
            guard consumed <= budget else { break }
            if let final { best = min(best ?? .infinity, final) }
        }
        return best
    }

    static func parseSeeds(_ text: String) throws -> [Int] {
        var seeds: [Int] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard let first = bounds.first else { throw ValidationError("bad seeds '\(text)'") }
            seeds += Array(first...(bounds.last ?? first))
        }
        return seeds
    }

    static func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }

    /// Rows: methods; columns: the mean over tasks of the median regret over seeds at each
    /// budget (a run with no full run within the budget counts as regret 1), then per-task medians.
    static func table(_ runs: [Run], budgets: [Int], tasks: [String]) -> String {
        var lines = ["| method | " + budgets.map { "mean @\($0)" }.joined(separator: " | ") + " | "
                     + tasks.map { "\($0) @1040 / @2600" }.joined(separator: " | ") + " | trials (median) |",
                     "|---|" + String(repeating: "---|", count: budgets.count + tasks.count + 1)]
        var methods: [String] = []
        for run in runs where !methods.contains(run.method) { methods.append(run.method) }
        for method in methods {
            func median(_ task: String, _ budget: Int) -> Double {
                Summary(runs.filter { $0.method == method && $0.task == task }.map { ($0.regret[String(budget)] ?? nil) ?? 1 }).median
            }
            let means = budgets.map { budget in tasks.map { median($0, budget) }.reduce(0, +) / Double(tasks.count) }
            let perTask = tasks.map { "\(text(median($0, 1040))) / \(text(median($0, 2600)))" }
            let count = Summary(runs.filter { $0.method == method }.map { Double($0.epochs.count) }).median
            lines.append("| \(method) | " + means.map { text($0) }.joined(separator: " | ") + " | "
                         + perTask.joined(separator: " | ") + " | \(Int(count)) |")
        }
        return lines.joined(separator: "\n")
    }
}
