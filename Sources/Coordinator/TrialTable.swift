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
    /// A study with several objectives: the trials on the Pareto front, with their objectives
    /// (minimized), kept up to date per result instead of found anew.
    private(set) var front: [TrialID: [Double]] = [:]
    /// `spec.reportedNames`, worked out once.
    let reportedNames: [String]

    init(spec: StudySpec) {
        self.spec = spec
        goal = spec.objectives[0].goal
        reportedNames = spec.reportedNames
    }

    /// What `best` compares (`StudySpec.rankedValue`).
    private func score(_ trial: Trial) -> Double? { spec.rankedValue(of: trial) }

    /// Takes a changed trial into the front: a new point the front does not dominate joins it and
    /// drops the points it dominates; a change to a trial on the front (a rerun) finds it anew.
    private mutating func updateFront(with trial: Trial) {
        guard spec.isMultiObjective else { return }
        let point = trial.state == .completed && spec.isFeasible(trial) ? spec.minimizedObjectives(of: trial) : nil
        if let held = front[trial.id], held != point {
            front = Dictionary(uniqueKeysWithValues: ordered.paretoFront(in: spec).map { ($0.id, spec.minimizedObjectives(of: $0)!) })
            return
        }
        guard let point, front[trial.id] == nil, !front.values.contains(where: { Pareto.dominates($0, point) }) else { return }
        front = front.filter { !Pareto.dominates(point, $0.value) }
        front[trial.id] = point
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
            updateFront(with: trial)
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
