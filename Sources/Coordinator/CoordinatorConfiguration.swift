package import TrialModel

/// Timing and limits of a coordinator, with defaults that suit a LAN.
package struct CoordinatorConfiguration: Sendable {
    /// How often the coordinator sends HEARTBEAT and checks liveness (0.2-5 s is sensible).
    package var heartbeatInterval: Duration = .seconds(1)
    /// Heartbeat intervals of silence after which a worker is lost and its trials requeued (3-10).
    package var liveness: Int = 5
    /// How long to keep flushing BYE to workers at the end.
    package var byeGrace: Duration = .milliseconds(300)
    /// After a restart, how long trials that were running wait for their workers to rejoin
    /// before they are requeued (longer than a worker's silence before it says HELLO again).
    package var reclaimGrace: Duration = .seconds(8)
    /// After SIGTERM/SIGINT, how long running trials may still finish before the coordinator exits.
    package var shutdownGrace: Duration = .seconds(30)

    package init() {}
}

/// Why a study ended.
package enum StudyEnd: Sendable, Equatable {
    /// The trial budget is spent (or the grid exhausted).
    case budgetSpent
    /// `budget.max_seconds` passed.
    case timeBudgetSpent
    /// `budget.max_failures` trials failed.
    case tooManyFailures(Int)
    /// Asked to stop (SIGTERM, SIGINT): running trials were given the grace period, the study can resume.
    case interrupted
}

/// Something worth showing the person watching the coordinator.
package enum StudyEvent: Sendable {
    case workerJoined(name: String, slots: Int)
    case workerLost(name: String, requeued: Int)
    case workerLeft(name: String)
    case trialStarted(id: TrialID, worker: String, params: String)
    case trialFinished(TrialSummary)
}

/// A finished trial and where the study stands, for progress lines.
package struct TrialSummary: Sendable {
    package var id: TrialID
    package var state: TrialState
    package var value: Double?
    package var reason: String?
    package var finished: Int
    package var budget: Int
    package var bestID: TrialID?
    package var bestValue: Double?
    /// Every reported value of a completed trial of a study with several objectives or constraints.
    package var values: [String: Double] = [:]
    /// Whether those values meet the constraints (a study with constraints, completed trials).
    package var feasible: Bool?
    /// Trials on the Pareto front (a study with several objectives).
    package var frontSize: Int?
}
