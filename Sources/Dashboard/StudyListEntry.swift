package import Foundation

/// One study a dashboard can show, as `/api/studies` lists it: the page offers these to
/// choose from, and `?study=NAME` on any route picks one.
package struct StudyListEntry: Codable, Sendable, Hashable {
    package var name: String
    /// `running`, `finished`, `stopped` or `interrupted`.
    package var state: String
    package var createdAt: Date
    /// Trials stored so far, in any state.
    package var trials: Int

    enum CodingKeys: String, CodingKey {
        case name, state, trials
        case createdAt = "created_at"
    }

    package init(name: String, state: String, createdAt: Date, trials: Int) {
        self.name = name; self.state = state; self.createdAt = createdAt; self.trials = trials
    }

    /// The study a snapshot shows.
    package init(_ snapshot: DashboardSnapshot) {
        self.init(name: snapshot.spec.name, state: snapshot.state, createdAt: snapshot.createdAt,
                  trials: snapshot.trials.count)
    }
}
