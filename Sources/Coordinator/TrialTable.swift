import TrialModel

/// The study's trials in id order, with per-state counts and the best completed trial
/// kept up to date on every change, so a study of many thousands of trials costs no
/// scan per message.
struct TrialTable {
    let spec: StudySpec
    let goal: Goal
    private(set) var ordered: [Trial] = []
    private var positions: [TrialID: Int] = [:]
    private var counts: [TrialState: Int] = [:]
    /// The completed (and feasible) trial with the best value of the first objective, the earliest on ties.
    private(set) var best: Trial?
    /// Whether the first objective is read from `values` and feasibility matters (several
    /// objectives, or constraints), rather than from `value` alone.
    private let readsValues: Bool
    /// `spec.reportedNames`, worked out once.
    let reportedNames: [String]

    init(spec: StudySpec) {
        self.spec = spec
        goal = spec.objectives[0].goal
        readsValues = spec.isMultiObjective || !spec.bounds.isEmpty
        reportedNames = spec.reportedNames
    }

    /// What `best` compares: the first objective's value of a completed feasible trial.
    private func score(_ trial: Trial) -> Double? {
        guard trial.state == .completed else { return nil }
        guard readsValues else { return trial.value.flatMap { $0.isFinite ? $0 : nil } }
        guard spec.isFeasible(trial), let value = spec.value(spec.objectives[0].name, of: trial), value.isFinite else { return nil }
        return value
    }

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
            if let current = best, current.id == id, score(trial) != score(current) {
                best = ordered.best(in: spec)
            }
            if let value = score(trial) {
                if let current = best, let bestValue = score(current), current.id != id {
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
