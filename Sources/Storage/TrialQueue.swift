package import Foundation
package import TrialModel

/// Identifies a row of a study's queue.
package struct QueueEntryID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
}

/// Something waiting in a study's queue for a coordinator to use it.
package struct QueueEntry: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        /// A configuration from the study file's `initial_configurations` (full or partial).
        case initial(Configuration)
        /// A configuration added by `sextant enqueue` (full or partial).
        case enqueued(Configuration)
        /// A finished trial to run again as its next attempt (`sextant retry`).
        case retry(TrialID)
    }

    package var id: QueueEntryID
    package var kind: Kind

    package init(id: QueueEntryID, kind: Kind) { self.id = id; self.kind = kind }

    /// The configuration a new trial is made from; nil for a retry.
    package var configuration: Configuration? {
        switch kind {
        case .initial(let configuration), .enqueued(let configuration): configuration
        case .retry: nil
        }
    }
}

/// The queue of configurations chosen by people and of trials to rerun, kept in the study
/// database so that `sextant enqueue` and `sextant retry` reach a coordinator whether it runs
/// or not, and so that a resumed coordinator never uses an entry twice.
///
/// Contract: `waiting` lists unused entries, initial configurations first (in the order the study
/// file lists them), then the others in the order they were added. Using an entry is stored in the
/// same transaction as the trial it becomes.
package protocol TrialQueue: Sendable {
    /// Adds each of `configurations` not queued as an initial configuration of `study` before
    /// (used or not), in order.
    func queueInitial(_ configurations: [Configuration], in study: StudyID, at date: Date) throws
    /// Adds a configuration from `sextant enqueue`.
    func enqueue(_ configuration: Configuration, in study: StudyID, at date: Date) throws -> QueueEntryID
    /// Asks for `trial` to be run again; true when added, false when a rerun of it already waits.
    func queueRetry(of trial: TrialID, in study: StudyID, at date: Date) throws -> Bool
    /// The unused entries of `study`, in the order they are to be used.
    func waiting(in study: StudyID) throws -> [QueueEntry]
    /// Marks `entry` used by `trial` (nil when it was dropped).
    func use(_ entry: QueueEntryID, for trial: TrialID?, at date: Date) throws
    /// Keeps the ended attempt of `trial` (its state, value, reason, worker, times and reports) as
    /// an earlier attempt, then sets the trial back to pending with none of them, and marks
    /// `entry` used.
    func rerun(_ trial: TrialID, entry: QueueEntryID, at date: Date) throws
    /// The earlier attempts of every trial of `study`, by trial then attempt.
    func earlierAttempts(in study: StudyID) throws -> [TrialAttempt]
}
