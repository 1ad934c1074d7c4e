public import Foundation
public import TrialModel

/// Everything the dashboard shows at one moment: the stored study, its trials and
/// reports, and what only the running coordinator knows.
public struct DashboardSnapshot: Sendable {
    public var spec: StudySpec
    /// The stored study's state: `running`, `finished` or `stopped`.
    public var state: String
    public var createdAt: Date
    public var trials: [Trial]
    public var reports: [TrialReport]
    /// Nil when the study is read from a database with no coordinator attached.
    public var live: LiveStatus?
    public var takenAt: Date

    public init(spec: StudySpec, state: String, createdAt: Date, trials: [Trial], reports: [TrialReport],
                live: LiveStatus?, takenAt: Date = Date()) {
        self.spec = spec; self.state = state; self.createdAt = createdAt; self.trials = trials
        self.reports = reports; self.live = live; self.takenAt = takenAt
    }

    public var best: Trial? { trials.best(for: spec.metric.goal) }
}

/// Where the dashboard reads the study from. Each call returns the study as it is now;
/// the server calls it once per request, so an implementation may reuse a recent snapshot.
public protocol DashboardSource: Sendable {
    func snapshot() async throws -> DashboardSnapshot
}
