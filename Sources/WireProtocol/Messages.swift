public import TrialModel

// Wire protocol v1 bodies. Each is one JSON object; docs/protocol.md is the reference.

/// HELLO, worker → coordinator: join (or rejoin) with a name and a number of slots.
public struct Hello: Sendable, Hashable, Codable {
    public var worker: String
    public var slots: Int
    /// Trials this worker is still running, so a restarted coordinator can keep them.
    public var running: [TrialID]
    /// The machine the worker runs on, shown on the dashboard (optional).
    public var host: String?
    public init(worker: String, slots: Int, running: [TrialID] = [], host: String? = nil) {
        self.worker = worker; self.slots = slots; self.running = running; self.host = host
    }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        worker = try container.decode(String.self, forKey: .worker)
        slots = try container.decode(Int.self, forKey: .slots)
        running = try container.decodeIfPresent([TrialID].self, forKey: .running) ?? []
        host = try container.decodeIfPresent(String.self, forKey: .host)
    }
    enum CodingKeys: String, CodingKey { case worker, slots, running, host }
}

/// WELCOME, coordinator → worker: the study the worker has joined.
public struct Welcome: Sendable, Hashable, Codable {
    public var study: String
    public var metric: String
    public var goal: Goal
    /// How often each side sends HEARTBEAT, in milliseconds.
    public var heartbeatMilliseconds: Int
    public init(study: String, metric: String, goal: Goal, heartbeatMilliseconds: Int) {
        self.study = study; self.metric = metric; self.goal = goal; self.heartbeatMilliseconds = heartbeatMilliseconds
    }
    enum CodingKeys: String, CodingKey {
        case study, metric, goal
        case heartbeatMilliseconds = "heartbeat_ms"
    }
}

/// TRIAL, coordinator → worker: run this configuration.
public struct TrialAssignment: Sendable, Hashable, Codable {
    public var trial: TrialID
    public var attempt: Int
    public var params: Configuration
    public var metric: String
    public var timeoutSeconds: Double
    public init(trial: TrialID, attempt: Int, params: Configuration, metric: String, timeoutSeconds: Double) {
        self.trial = trial; self.attempt = attempt; self.params = params; self.metric = metric
        self.timeoutSeconds = timeoutSeconds
    }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", attempt, params, metric
        case timeoutSeconds = "timeout_seconds"
    }
}

/// REPORT, worker → coordinator: an intermediate value.
public struct Report: Sendable, Hashable, Codable {
    public var trial: TrialID
    public var attempt: Int
    public var step: Int
    public var value: Double
    public init(trial: TrialID, attempt: Int, step: Int, value: Double) {
        self.trial = trial; self.attempt = attempt; self.step = step; self.value = value
    }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trial = try container.decode(TrialID.self, forKey: .trial)
        attempt = try container.decodeIfPresent(Int.self, forKey: .attempt) ?? 1
        step = try container.decode(Int.self, forKey: .step)
        value = try container.decode(Double.self, forKey: .value)
    }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", attempt, step, value
    }
}

/// What the pruner decided about a report.
public enum Action: String, Sendable, Hashable, Codable {
    case `continue`, prune
}

/// DECISION, coordinator → worker: the answer to a REPORT.
public struct Decision: Sendable, Hashable, Codable {
    public var trial: TrialID
    public var step: Int
    public var action: Action
    public init(trial: TrialID, step: Int, action: Action) { self.trial = trial; self.step = step; self.action = action }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", step, action
    }
}

/// How a trial ended, as the worker saw it.
public enum Outcome: String, Sendable, Hashable, Codable {
    case completed, failed, pruned
}

/// RESULT, worker → coordinator: the end of a trial; resent until ACK.
public struct TrialResult: Sendable, Hashable, Codable {
    public var trial: TrialID
    public var attempt: Int
    public var outcome: Outcome
    /// The final value (completed) or the last reported one (pruned).
    public var value: Double?
    public var step: Int?
    public var reason: String?
    public var stderrTail: String?
    public init(
        trial: TrialID, attempt: Int, outcome: Outcome, value: Double? = nil, step: Int? = nil,
        reason: String? = nil, stderrTail: String? = nil
    ) {
        self.trial = trial; self.attempt = attempt; self.outcome = outcome; self.value = value; self.step = step
        self.reason = reason; self.stderrTail = stderrTail
    }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", attempt, outcome = "status", value, step, reason
        case stderrTail = "stderr_tail"
    }
}

/// ACK, coordinator → worker: the RESULT for this trial is stored.
public struct Ack: Sendable, Hashable, Codable {
    public var trial: TrialID
    public init(trial: TrialID) { self.trial = trial }
    enum CodingKeys: String, CodingKey { case trial = "trial_id" }
}

/// HEARTBEAT, both ways: I am alive.
public struct Heartbeat: Sendable, Hashable, Codable {
    /// Trials the sender believes are running on the worker (worker → coordinator).
    public var running: [TrialID]?
    /// The worker's name and slots (worker → coordinator), so a coordinator that does not know
    /// the sender (it restarted) can take the heartbeat as a HELLO at once.
    public var worker: String?
    public var slots: Int?
    /// Trials whose RESULT the worker has sent but not yet seen acknowledged.
    public var pendingResults: [TrialID]?
    public init(running: [TrialID]? = nil, worker: String? = nil, slots: Int? = nil, pendingResults: [TrialID]? = nil) {
        self.running = running; self.worker = worker; self.slots = slots; self.pendingResults = pendingResults
    }
    enum CodingKeys: String, CodingKey {
        case running, worker, slots
        case pendingResults = "pending_results"
    }
}

/// BYE, both ways: the study is over (coordinator) or the worker is leaving.
public struct Bye: Sendable, Hashable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}
