package import Foundation

/// An earlier attempt of a trial that was run again (`sextant retry`), as it ended.
package struct TrialAttempt: Sendable, Hashable, Codable {
    package var trial: TrialID
    /// The attempt's number (`Trial.attempt` while it ran).
    package var attempt: Int
    package var state: TrialState
    package var value: Double?
    package var step: Int?
    package var worker: String?
    package var startedAt: Date?
    package var finishedAt: Date?
    package var reason: String?
    package var stderrTail: String?
    /// The values it reported at the end (a study with several objectives or constraints).
    package var values: [String: Double]
    /// Its intermediate reports, by step.
    package var reports: [TrialReport]

    package init(
        trial: TrialID, attempt: Int, state: TrialState, value: Double? = nil, step: Int? = nil, worker: String? = nil,
        startedAt: Date? = nil, finishedAt: Date? = nil, reason: String? = nil, stderrTail: String? = nil,
        values: [String: Double] = [:], reports: [TrialReport] = []
    ) {
        self.trial = trial; self.attempt = attempt; self.state = state; self.value = value; self.step = step
        self.worker = worker; self.startedAt = startedAt; self.finishedAt = finishedAt; self.reason = reason
        self.stderrTail = stderrTail; self.values = values; self.reports = reports
    }
}
