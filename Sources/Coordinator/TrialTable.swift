import TrialModel

/// The study's trials in id order, with per-state counts and the best completed trial
/// kept up to date on every change, so a study of many thousands of trials costs no
/// scan per message.
struct TrialTable {
    let goal: Goal
    private(set) var ordered: [Trial] = []
    private var positions: [TrialID: Int] = [:]
    private var counts: [TrialState: Int] = [:]
    /// The completed trial with the best value, the earliest on ties.
    private(set) var best: Trial?

    init(goal: Goal) { self.goal = goal }

    /// Setting nil is not supported (trials are never removed) and does nothing.
    subscript(id: TrialID) -> Trial? {
        get { positions[id].map { ordered[$0] } }
        set {
            guard let trial = newValue else { return }
            if let position = positions[id] {
                counts[ordered[position].state, default: 0] -= 1
                ordered[position] = trial
            } else {
                // New trials come in id order: the store numbers them upward, and a resumed
                // study is loaded sorted by id.
                assert(ordered.last.map { $0.id < id } ?? true, "trial \(id) added out of order")
                positions[id] = ordered.count
                ordered.append(trial)
            }
            counts[trial.state, default: 0] += 1
            // The best trial was run again (`sextant retry`): the best is found anew, once.
            if let current = best, current.id == id, trial.state != .completed || trial.value != current.value {
                best = ordered.best(for: goal)
            }
            if trial.state == .completed, let value = trial.value, value.isFinite {
                if let current = best, let bestValue = current.value, current.id != id {
                    if goal.isBetter(value, than: bestValue) || (value == bestValue && id < current.id) { best = trial }
                } else {
                    best = trial
                }
            }
        }
    }

    /// Changes a stored trial in place: one write, so the counts and the best are updated once.
    mutating func update(_ id: TrialID, _ change: (inout Trial) -> Void) {
        guard var trial = self[id] else { return }
        change(&trial)
        self[id] = trial
    }

    var count: Int { ordered.count }

    func count(_ state: TrialState) -> Int { counts[state] ?? 0 }

    var finished: Int { count(.completed) + count(.failed) + count(.pruned) }
}
