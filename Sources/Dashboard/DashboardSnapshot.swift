package import Foundation
package import TrialModel

/// Everything the dashboard shows at one moment: the stored study, its trials and
/// reports, and what only the running coordinator knows.
package struct DashboardSnapshot: Sendable {
    package var spec: StudySpec
    /// The stored study's state: `running`, `finished` or `stopped`.
    package var state: String
    package var createdAt: Date
    package var trials: [Trial]
    package var reports: [TrialReport]
    /// Nil when the study is read from a database with no coordinator attached.
    package var live: LiveStatus?
    package var takenAt: Date

    package init(spec: StudySpec, state: String, createdAt: Date, trials: [Trial], reports: [TrialReport],
                live: LiveStatus?, takenAt: Date = Date()) {
        self.spec = spec; self.state = state; self.createdAt = createdAt; self.trials = trials
        self.reports = reports; self.live = live; self.takenAt = takenAt
    }

    package var best: Trial? { trials.best(in: spec) }
}

/// Where the dashboard reads its studies from. Each call returns a study as it is now; the
/// server calls it once per request, so an implementation may reuse a recent snapshot.
package protocol DashboardSource: Sendable {
    /// The study named `study`, or the source's default study when nil. Throws
    /// `UnknownStudyError` for a name it does not hold.
    func snapshot(study: String?) async throws -> DashboardSnapshot

    /// The studies a user may choose among, oldest first.
    func studies() async throws -> [StudyListEntry]
}

extension DashboardSource {
    /// The default study.
    package func snapshot() async throws -> DashboardSnapshot { try await snapshot(study: nil) }
}
