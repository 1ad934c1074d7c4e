package import TrialModel

/// Asynchronous successive halving (Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", MLSys 2020), in its stopping form.
///
/// Rungs sit at steps r_k = minSteps · η^k. When a trial's report first reaches a rung
/// (its first report at a step ≥ r_k), it is compared with every trial that has reached
/// that rung so far, itself included (n of them, each with its value at its first
/// report ≥ r_k): it continues if it ranks among the best max(1, ⌊n/η⌋), else it is
/// pruned. Decisions are made as reports arrive; nobody waits for a rung to fill.
package struct ASHAPruner: Pruner {
    package let minSteps: Int
    package let reductionFactor: Int

    package init(minSteps: Int, reductionFactor: Int) {
        self.minSteps = max(1, minSteps)
        self.reductionFactor = max(2, reductionFactor)
    }

    /// The highest rung at or below `step`, if any.
    func rung(atOrBelow step: Int) -> Int? {
        guard step >= minSteps else { return nil }
        var rung = minSteps
        while rung * reductionFactor <= step { rung *= reductionFactor }
        return rung
    }

    package func pruneReason(trial: TrialID, step: Int, history: ReportHistory) -> String? {
        guard let rung = rung(atOrBelow: step), let reports = history.values[trial] else { return nil }
        // Decide only on the report that first reaches this rung.
        if reports.keys.contains(where: { $0 >= rung && $0 < step }) { return nil }
        guard let mine = reports[step] else { return nil }
        let competitors = history.values.keys.compactMap { other in history.value(of: other, atOrAfter: rung) }
        let keep = max(1, competitors.count / reductionFactor)
        let better = competitors.count { history.goal.isBetter($0, than: mine) }
        guard better >= keep else { return nil }
        return "ASHA rung at step \(rung): \(better) of the \(competitors.count) trials there did better, the best \(keep) go on"
    }
}
