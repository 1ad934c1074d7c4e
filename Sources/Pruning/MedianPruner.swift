package import TrialModel

/// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017).
///
/// At step s > `warmupSteps`, once at least `startupTrials` other trials have reported
/// at step s, a trial is pruned when its best value up to s is worse than the median
/// of the other trials' values at s.
package struct MedianPruner: Pruner {
    package let startupTrials: Int
    package let warmupSteps: Int

    package init(startupTrials: Int, warmupSteps: Int) {
        self.startupTrials = startupTrials
        self.warmupSteps = warmupSteps
    }

    package func pruneReason(trial: TrialID, step: Int, history: ReportHistory) -> String? {
        guard step > warmupSteps, let best = history.best(of: trial, through: step) else { return nil }
        let others = history.values.compactMap { other, reports in other == trial ? nil : reports[step] }.sorted()
        guard others.count >= max(startupTrials, 1) else { return nil }
        let middle = others.count / 2
        let median = others.count % 2 == 1 ? others[middle] : (others[middle - 1] + others[middle]) / 2
        guard history.goal.isBetter(median, than: best) else { return nil }
        return "median rule at step \(step): best value so far \(TrialFormatting.format(best)) is worse than the median \(TrialFormatting.format(median)) of \(others.count) other trials"
    }
}
