import Dashboard
import Foundation
import Storage

/// The dashboard's view of a study database with no coordinator attached (`sextant dashboard`):
/// any study in it, read through a read-only store. Snapshots are reused for `maxAge`, so many
/// open pages cost one read a second, and a study that a coordinator runs shows its progress.
actor DatabaseStudySource: DashboardSource {
    let store: SQLiteTrialStore
    /// The database file, for messages.
    let path: String
    /// The study shown without `?study=`; nil for the most recent one.
    let defaultStudy: String?
    let maxAge: TimeInterval
    /// Recent snapshots by the name asked for ("" for the default).
    var cached: [String: DashboardSnapshot] = [:]

    init(store: SQLiteTrialStore, path: String, defaultStudy: String?, maxAge: TimeInterval = 0.5) {
        self.store = store; self.path = path; self.defaultStudy = defaultStudy; self.maxAge = maxAge
    }

    func snapshot(study name: String?) async throws -> DashboardSnapshot {
        let name = name ?? defaultStudy
        if let recent = cached[name ?? ""], Date().timeIntervalSince(recent.takenAt) < maxAge { return recent }
        guard let record = try name.map({ try store.study(named: $0) }) ?? store.latestStudy() else {
            guard let name else { throw StorageError("the database \(path) holds no study yet", isInvalidStudy: true) }
            throw UnknownStudyError(name: name, known: try store.studies().map(\.spec.name))
        }
        let snapshot = DashboardSnapshot(
            spec: record.spec, state: record.state.rawValue, createdAt: record.createdAt,
            trials: try store.trials(in: record.id), reports: try store.reports(in: record.id), live: nil)
        cached[name ?? ""] = snapshot
        return snapshot
    }

    func studies() async throws -> [StudyListEntry] {
        let counts = try store.trialCounts()
        return try store.studies().map { record in
            StudyListEntry(name: record.spec.name, state: record.state.rawValue, createdAt: record.createdAt,
                           trials: counts[record.id] ?? 0)
        }
    }
}
