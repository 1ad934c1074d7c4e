import ArgumentParser

@main
struct SextantBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sextant-bench",
        abstract: "Benchmarks whose figures are quoted in docs/benchmarks.md.",
        subcommands: [TransportBench.self, OptimizerBench.self, FidelityBench.self, MultiObjectiveBench.self, LatencyBench.self, TrainerBench.self, FleetBench.self]
    )
}

/// Order statistics of a sample.
struct Summary {
    let sorted: [Double]
    init(_ values: [Double]) { sorted = values.sorted() }
    func quantile(_ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
    /// The middle value; for an even count the mean of the two middle ones (as Python's `statistics.median`).
    var median: Double {
        guard !sorted.isEmpty else { return .nan }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
