package import Foundation

/// Identifies a trial within its study database.
package struct TrialID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    package let rawValue: Int64
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    package init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where a trial is in its life.
package enum TrialState: String, Sendable, Codable, CaseIterable {
    /// Proposed, waiting for a free worker slot.
    case pending
    /// Assigned to a worker.
    case running
    /// Finished with a final value.
    case completed
    /// The command failed, timed out, reported NaN, or its worker was lost for good.
    case failed
    /// Stopped early by the pruner.
    case pruned

    /// Whether the trial has reached a final state.
    package var isFinished: Bool { self == .completed || self == .failed || self == .pruned }
}

/// One evaluation of one configuration, as stored.
package struct Trial: Sendable, Hashable, Codable {
    package var id: TrialID
    package var state: TrialState
    package var configuration: Configuration
    /// The final value (completed), or the last reported value (pruned); nil otherwise.
    package var value: Double?
    /// The last reported step.
    package var step: Int?
    /// 1 for the first run of this trial, +1 for each retry after a lost worker.
    package var attempt: Int
    /// Name of the worker that ran (or runs) it.
    package var worker: String?
    package var startedAt: Date?
    package var finishedAt: Date?
    /// Why a trial failed or was pruned.
    package var reason: String?
    /// The last lines of the command's stderr, for failed trials.
    package var stderrTail: String?
    /// The final value of every metric and constrained value a completed trial of a study with
    /// several of them reported (`StudySpec.reportedNames`); empty otherwise.
    package var values: [String: Double] = [:]

    package init(
        id: TrialID, state: TrialState, configuration: Configuration, value: Double? = nil, step: Int? = nil,
        attempt: Int = 1, worker: String? = nil, startedAt: Date? = nil, finishedAt: Date? = nil,
        reason: String? = nil, stderrTail: String? = nil, values: [String: Double] = [:]
    ) {
        self.id = id; self.state = state; self.configuration = configuration; self.value = value; self.step = step
        self.attempt = attempt; self.worker = worker; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.reason = reason; self.stderrTail = stderrTail; self.values = values
    }
}

/// One intermediate value a running trial reported.
package struct TrialReport: Sendable, Hashable, Codable {
    package var trial: TrialID
    package var step: Int
    package var value: Double
    package init(trial: TrialID, step: Int, value: Double) { self.trial = trial; self.step = step; self.value = value }
}

/// What the learning-curve model predicted of a trial's final value before the trial reported
/// anything, in the study's units: the mean, and the values one standard deviation to either
/// side (`low` ≤ `high`; the model is Gaussian in its warped units, so they need not be symmetric
/// about the mean). Stored, so that a coordinator that restarts judges the trial as before.
package struct CurvePrior: Sendable, Hashable, Codable {
    package var mean: Double
    package var low: Double
    package var high: Double
    package init(mean: Double, low: Double, high: Double) { self.mean = mean; self.low = low; self.high = high }
}

extension Collection where Element == Trial {
    /// The completed trial with the best value for `goal`, the earliest on ties.
    package func best(for goal: Goal) -> Trial? {
        var best: Trial?
        for trial in self where trial.state == .completed {
            guard let value = trial.value else { continue }
            if let current = best?.value, !goal.isBetter(value, than: current) { continue }
            best = trial
        }
        return best
    }

    /// The best completed feasible trial of `spec` by its first objective (its only one, unless
    /// the study has several), the earliest on ties.
    package func best(in spec: StudySpec) -> Trial? {
        let goal = spec.objectives[0].goal
        var best: Trial?, bestValue = 0.0
        for trial in self {
            guard let value = spec.rankedValue(of: trial) else { continue }
            if best != nil, !goal.isBetter(value, than: bestValue) { continue }
            best = trial; bestValue = value
        }
        return best
    }
}
