/// Where a study stands, as the `state` column of the `study` table holds it.
///
/// The column has a CHECK constraint listing exactly these raw values, so a database never
/// holds any other.
package enum StudyState: String, Sendable, Hashable, Codable, CaseIterable {
    /// A coordinator works on the study, or did until it crashed; opening the study again sets it.
    case running
    /// The budget was spent (the trial count reached, or a grid exhausted); the study is over.
    case finished
    /// The study ended before its trial budget was spent: `max_seconds` passed or
    /// `max_failures` trials failed. Trials still running were marked failed.
    case stopped
    /// The coordinator was asked to stop (SIGTERM, Ctrl-C). Running trials stay running in the
    /// database; starting the coordinator again resumes the study and lets workers reclaim them.
    case interrupted
}
