package import Foundation
package import TrialModel

/// Identifies a study within a database.
package struct StudyID: Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: Int64
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
}

/// A study as stored: its spec and when it started.
package struct StudyRecord: Sendable, Hashable {
    package var id: StudyID
    package var spec: StudySpec
    package var createdAt: Date
    /// The raw value of its `StudyState`: `running` while a coordinator works on it, then
    /// `finished`, `stopped` or `interrupted`.
    package var state: StudyState
    package init(id: StudyID, spec: StudySpec, createdAt: Date, state: StudyState) {
        self.id = id; self.spec = spec; self.createdAt = createdAt; self.state = state
    }
}

/// Durable storage of studies, trials and intermediate reports.
///
/// Contract: every method returns only after the change is durable (committed);
/// the coordinator acknowledges a message only after its change is stored. Methods
/// may be called from any thread.
package protocol TrialStore: TrialQueue {
    /// The study named `spec.name`, created if new. Throws `StorageError` when a study of that
    /// name exists with a different search space or metric.
    func open(_ spec: StudySpec, at date: Date) throws -> StudyRecord
    /// The most recently created study, if any.
    func latestStudy() throws -> StudyRecord?
    /// The study called `name`, if any.
    func study(named name: String) throws -> StudyRecord?
    /// Sets a study's state.
    func setState(_ state: StudyState, of study: StudyID) throws
    /// Stores a new running trial assigned to `worker`.
    func insertTrial(in study: StudyID, configuration: Configuration, worker: String, at date: Date) throws -> Trial
    /// Hands an existing trial to another attempt (after its worker was lost).
    func restart(_ trial: TrialID, attempt: Int, worker: String?, state: TrialState, at date: Date) throws
    /// Gives a running trial to the worker that still runs it after the coordinator restarted:
    /// its start, attempt and reports stay.
    func reclaim(_ trial: TrialID, worker: String) throws
    /// Puts a running trial whose worker was lost back in line: the attempt is kept, with its
    /// reports, as an earlier attempt that failed for `reason`, and the trial waits for its next.
    func requeue(_ trial: TrialID, reason: String, at date: Date) throws
    /// Undoes `requeue` for the lost worker that comes back still running the trial before it
    /// was handed out again: the attempt, its start and its reports are the trial's again.
    /// Returns those reports.
    func reclaimRequeued(_ trial: TrialID, worker: String) throws -> [TrialReport]
    /// Stores an intermediate value; a repeated step overwrites the earlier value.
    func record(_ report: TrialReport, at date: Date) throws
    /// Stores what the curve model predicted of a trial before its reports (kept until the
    /// trial's reports are cleared for another attempt).
    func record(_ prior: CurvePrior, of trial: TrialID) throws
    /// The stored predictions of `record(_:of:)` of a study's running trials (those a restarted
    /// coordinator may still judge).
    func curvePriors(in study: StudyID) throws -> [TrialID: CurvePrior]
    /// Stores the end of a trial; `values` are the final values of every metric and constrained
    /// value (`StudySpec.reportedNames`), empty for a study that reads only its metric.
    func finish(
        _ trial: TrialID, state: TrialState, value: Double?, values: [String: Double], step: Int?, reason: String?,
        stderrTail: String?, at date: Date
    ) throws
    /// Every trial of a study, by id.
    func trials(in study: StudyID) throws -> [Trial]
    /// Every intermediate report of a study, by trial then step.
    func reports(in study: StudyID) throws -> [TrialReport]
    /// Runs `body` as one transaction: the writes it makes (on this thread) commit together
    /// when it returns, or not at all when it throws. Callers acknowledge what `body` stored
    /// only after `batch` returns.
    func batch<T>(_ body: () throws -> T) throws -> T
}

extension TrialStore {
    /// Stores the end of a trial of a study that reads only its metric.
    package func finish(
        _ trial: TrialID, state: TrialState, value: Double?, step: Int?, reason: String?, stderrTail: String?,
        at date: Date
    ) throws {
        try finish(trial, state: state, value: value, values: [:], step: step, reason: reason, stderrTail: stderrTail, at: date)
    }
}

/// A storage failure. `isInvalidStudy` means the user must change the study file or the database
/// path; anything else is an I/O problem worth retrying or reporting.
package struct StorageError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package let isInvalidStudy: Bool
    package init(_ description: String, isInvalidStudy: Bool = false) {
        self.description = description
        self.isInvalidStudy = isInvalidStudy
    }
}
