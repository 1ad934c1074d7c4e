package import TrialModel

/// Every intermediate value reported so far, by trial and step.
package struct ReportHistory: Sendable {
    /// Whether smaller or larger values are better.
    package var goal: Goal
    /// Values by trial, then by step.
    package var values: [TrialID: [Int: Double]]

    package init(goal: Goal, values: [TrialID: [Int: Double]] = [:]) {
        self.goal = goal
        self.values = values
    }

    /// Records a report (a repeated step overwrites).
    package mutating func record(trial: TrialID, step: Int, value: Double) {
        values[trial, default: [:]][step] = value
    }

    /// Forgets a trial's reports (it restarts as a new attempt).
    package mutating func forget(trial: TrialID) {
        values[trial] = nil
    }

    /// The trial's best value over the steps up to and including `step`.
    func best(of trial: TrialID, through step: Int) -> Double? {
        let candidates = (values[trial] ?? [:]).filter { $0.key <= step }.map(\.value)
        return goal == .minimize ? candidates.min() : candidates.max()
    }

    /// The trial's value at its first report at or after `step`.
    func value(of trial: TrialID, atOrAfter step: Int) -> Double? {
        guard let reports = values[trial] else { return nil }
        return reports.filter { $0.key >= step }.min { $0.key < $1.key }?.value
    }
}

/// Decides, as each intermediate report arrives, whether the trial should stop.
///
/// Contract: pure and deterministic in the history; called only for running trials,
/// after the report at `step` has been recorded in `history`.
package protocol Pruner: Sendable {
    /// Why the trial should stop after its report at `step` (shown with the pruned trial in
    /// `status`, `export` and the dashboard), or nil when it goes on.
    func pruneReason(trial: TrialID, step: Int, history: ReportHistory) -> String?
}

extension Pruner {
    /// Whether the trial should stop after its report at `step`.
    package func shouldPrune(trial: TrialID, step: Int, history: ReportHistory) -> Bool {
        pruneReason(trial: trial, step: step, history: history) != nil
    }
}

/// The pruner a study file asks for, or nil for `kind: none`.
package func makePruner(for spec: StudySpec.Pruner) -> (any Pruner)? {
    switch spec.kind {
    case .none: nil
    case .median: MedianPruner(startupTrials: spec.startupTrials, warmupSteps: spec.warmupSteps)
    case .asha: ASHAPruner(minSteps: spec.minSteps, reductionFactor: spec.reductionFactor)
    }
}
