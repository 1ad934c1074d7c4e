package import Foundation
package import TrialModel

/// Estimates of how long a study still runs.
package enum Progress {
    /// Seconds until the budget is spent at the rate trials finished since `since`; nil before
    /// the first one finishes.
    package static func secondsLeft(trials: [Trial], budget: Int, since: Date, now: Date) -> Double? {
        let finished = trials.count { $0.state.isFinished }
        let recent = trials.count { trial in trial.state.isFinished && (trial.finishedAt.map { $0 >= since } ?? false) }
        let elapsed = now.timeIntervalSince(since)
        guard recent > 0, elapsed > 0 else { return nil }
        return Double(max(budget - finished, 0)) * elapsed / Double(recent)
    }
}
