import Coordinator
import Dashboard
import Foundation
import Storage

/// The dashboard's view of a study: the study in its database, plus the live status of the
/// coordinator running it. Snapshots are reused for `maxAge`, so many open pages cost one
/// read a second.
actor LiveStudySource: DashboardSource {
    let store: any TrialStore
    let study: StudyRecord
    let coordinator: StudyCoordinator?
    let maxAge: TimeInterval
    var cached: DashboardSnapshot?

    init(store: any TrialStore, study: StudyRecord, coordinator: StudyCoordinator?, maxAge: TimeInterval = 0.5) {
        self.store = store; self.study = study; self.coordinator = coordinator; self.maxAge = maxAge
    }

    /// The coordinator's study; it shows no other.
    func snapshot(study name: String?) async throws -> DashboardSnapshot {
        if let name, name != study.spec.name { throw UnknownStudyError(name: name, known: [study.spec.name]) }
        if let cached, Date().timeIntervalSince(cached.takenAt) < maxAge { return cached }
        let record = try store.study(named: study.spec.name) ?? study
        let status = await coordinator?.status()
        let snapshot = DashboardSnapshot(
            spec: record.spec, state: record.state.rawValue, createdAt: record.createdAt,
            trials: try store.trials(in: study.id), reports: try store.reports(in: study.id),
            live: status.map(LiveStatus.init))
        cached = snapshot
        return snapshot
    }

    func studies() async throws -> [StudyListEntry] {
        [StudyListEntry(try await snapshot(study: nil))]
    }
}
