/// Timing and limits of a coordinator, with defaults that suit a LAN.
public struct CoordinatorConfiguration: Sendable {
    /// How often the coordinator sends HEARTBEAT and checks liveness (0.2-5 s is sensible).
    public var heartbeatInterval: Duration = .seconds(1)
    /// Heartbeat intervals of silence after which a worker is lost and its trials requeued (3-10).
    public var liveness: Int = 5
    /// How long to keep flushing BYE to workers at the end.
    public var byeGrace: Duration = .milliseconds(300)
    /// After a restart, how long trials that were running wait for their workers to rejoin
    /// before they are requeued (longer than a worker's silence before it says HELLO again).
    public var reclaimGrace: Duration = .seconds(8)
    /// After SIGTERM/SIGINT, how long running trials may still finish before the coordinator exits.
    public var shutdownGrace: Duration = .seconds(30)

    public init() {}
}

/// Why a study ended.
public enum StudyEnd: Sendable, Equatable {
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
public enum StudyEvent: Sendable {
    case workerJoined(name: String, slots: Int)
    case workerLost(name: String, requeued: Int)
    case workerLeft(name: String)
    case trialStarted(id: Int64, worker: String, params: String)
    case trialFinished(TrialSummary)
}

/// A finished trial and where the study stands, for progress lines.
public struct TrialSummary: Sendable {
    public var id: Int64
    public var state: String
    public var value: Double?
    public var reason: String?
    public var finished: Int
    public var budget: Int
    public var bestID: Int64?
    public var bestValue: Double?
}
