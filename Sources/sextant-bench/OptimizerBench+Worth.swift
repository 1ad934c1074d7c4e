import ArgumentParser
import Foundation

/// Parallel efficiency: how many sequential trials a study with k workers is worth.
///
/// For each function, worth(k) is the smallest n at which the median (over seeds) of the
/// sequential study's best-so-far regret after n trials is at most the median regret of the
/// k-worker study after `trials`. A sampler that lost nothing to pending trials would have
/// worth(k) = `trials`; one whose k-worker study beats the sequential one has a worth above
/// it, found only if the sequential studies run longer (`--worth-trials`). The samplers do not
/// read the budget, so the first `trials` results of a longer sequential study are those of a
/// study of `trials`.
extension OptimizerBench {
    func printWorth() throws {
        let counts = workers.split(separator: ",").compactMap { Int($0) }.filter { $0 > 1 }
        let horizon = max(trials, worthTrials)
        let columns = ["seq@\(trials)"] + counts.flatMap { ["\($0)w@\(trials)", "worth(\($0))"] }
        print("optimizer    function         " + columns.map { $0.leftPadded(to: 10) }.joined(separator: " "))
        for optimizer in optimizers.split(separator: ",").map(String.init) {
            var worths: [Int: [Int]] = [:], censored: [Int: Int] = [:]
            for function in try BenchProblem.named(functions, evaluator: try RealisticEvaluator()) {
                let name = function.name
                let seedRange = firstSeed..<(firstSeed + seeds)
                var longer = self
                longer.trials = horizon
                let sequential = try seedRange.map { try longer.study(function, optimizer: optimizer, seed: UInt64($0), workers: 1) }
                // curve[n - 1]: median best-so-far regret after n sequential trials (non-increasing).
                let curve = (1...horizon).map { n in Summary(sequential.map { $0.best(after: n) - function.minimum }).median }
                var line = optimizer.padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                    + name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " %10.4g", curve[trials - 1])
                for count in counts {
                    let parallel = try seedRange.map { try study(function, optimizer: optimizer, seed: UInt64($0), workers: count) }
                    let target = Summary(parallel.map { $0.best(after: trials) - function.minimum }).median
                    if let index = curve.firstIndex(where: { $0 <= target }) {
                        worths[count, default: []].append(index + 1)
                        line += String(format: " %10.4g %10d", target, index + 1)
                    } else {
                        // Not reached within the horizon: horizon + 1 is a lower bound.
                        worths[count, default: []].append(horizon + 1)
                        censored[count, default: 0] += 1
                        line += String(format: " %10.4g ", target) + ">\(horizon)".leftPadded(to: 10)
                    }
                }
                print(line)
            }
            for count in counts {
                let values = worths[count] ?? []
                let mean = exp(values.map { log(Double($0)) }.reduce(0, +) / Double(values.count))
                let bound = censored[count, default: 0] > 0 ? " (at least: \(censored[count]!) worth above \(horizon) counted as \(horizon + 1))" : ""
                print(String(format: "%@ %2d workers: geometric mean of worth over %d functions %.1f", optimizer, count, values.count, mean) + bound)
            }
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
