public import Foundation

/// Identifies a trial within its study database.
public struct TrialID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where a trial is in its life.
public enum TrialState: String, Sendable, Codable, CaseIterable {
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
    public var isFinished: Bool { self == .completed || self == .failed || self == .pruned }
}

/// One evaluation of one configuration, as stored.
public struct Trial: Sendable, Hashable, Codable {
    public var id: TrialID
    public var state: TrialState
    public var configuration: Configuration
    /// The final value (completed), or the last reported value (pruned); nil otherwise.
    public var value: Double?
    /// The last reported step.
    public var step: Int?
    /// 1 for the first run of this trial, +1 for each retry after a lost worker.
    public var attempt: Int
    /// Name of the worker that ran (or runs) it.
    public var worker: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Why a trial failed or was pruned.
    public var reason: String?
    /// The last lines of the command's stderr, for failed trials.
    public var stderrTail: String?

    public init(
        id: TrialID, state: TrialState, configuration: Configuration, value: Double? = nil, step: Int? = nil,
        attempt: Int = 1, worker: String? = nil, startedAt: Date? = nil, finishedAt: Date? = nil,
        reason: String? = nil, stderrTail: String? = nil
    ) {
        self.id = id; self.state = state; self.configuration = configuration; self.value = value; self.step = step
        self.attempt = attempt; self.worker = worker; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.reason = reason; self.stderrTail = stderrTail
    }
}

/// One intermediate value a running trial reported.
public struct TrialReport: Sendable, Hashable, Codable {
    public var trial: TrialID
    public var step: Int
    public var value: Double
    public init(trial: TrialID, step: Int, value: Double) { self.trial = trial; self.step = step; self.value = value }
}

extension Collection where Element == Trial {
    /// The completed trial with the best value for `goal`, the earliest on ties.
    public func best(for goal: Goal) -> Trial? {
        var best: Trial?
        for trial in self where trial.state == .completed {
            guard let value = trial.value else { continue }
            if let current = best?.value, !goal.isBetter(value, than: current) { continue }
            best = trial
        }
        return best
    }
}
