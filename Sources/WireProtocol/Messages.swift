package import TrialModel

// Wire protocol v1 bodies. Each is one JSON object; docs/protocol.md is the reference.

/// HELLO, worker → coordinator: join (or rejoin) with a name and a number of slots.
package struct Hello: Sendable, Hashable, Codable {
    package var worker: String
    package var slots: Int
    /// Trials this worker is still running, so a restarted coordinator can keep them.
    package var running: [TrialID]
    /// The machine the worker runs on, shown on the dashboard (optional).
    package var host: String?
    package init(worker: String, slots: Int, running: [TrialID] = [], host: String? = nil) {
        self.worker = worker; self.slots = slots; self.running = running; self.host = host
    }
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        worker = try container.decode(String.self, forKey: .worker)
        slots = try container.decode(Int.self, forKey: .slots)
        running = try container.decodeIfPresent([TrialID].self, forKey: .running) ?? []
        host = try container.decodeIfPresent(String.self, forKey: .host)
    }
    enum CodingKeys: String, CodingKey { case worker, slots, running, host }
}

/// WELCOME, coordinator → worker: the study the worker has joined.
package struct Welcome: Sendable, Hashable, Codable {
    package var study: String
    package var metric: String
    package var goal: Goal
    /// How often each side sends HEARTBEAT, in milliseconds.
    package var heartbeatMilliseconds: Int
    package init(study: String, metric: String, goal: Goal, heartbeatMilliseconds: Int) {
        self.study = study; self.metric = metric; self.goal = goal; self.heartbeatMilliseconds = heartbeatMilliseconds
    }
    enum CodingKeys: String, CodingKey {
        case study, metric, goal
        case heartbeatMilliseconds = "heartbeat_ms"
    }
}

/// TRIAL, coordinator → worker: run this configuration.
package struct TrialAssignment: Sendable, Hashable, Codable {
    package var trial: TrialID
    package var attempt: Int
    package var params: Configuration
    package var metric: String
    package var timeoutSeconds: Double
    /// Conditional parameters that are inactive in `params` (their `{name}` renders as ""); sent
    /// only when there are some, and read as none when absent.
    package var inactive: [String]
    /// The study's fidelity maximum (`{max_steps}` in the command); sent only by a study with a
    /// fidelity, and nil when absent.
    package var maxSteps: Int?
    /// Every value the RESULT of a completed trial must carry in `values` (the objectives and
    /// constrained values of a study with several, `metric` among them); sent only by such a
    /// study, and read as none when absent.
    package var values: [String]
    package init(trial: TrialID, attempt: Int, params: Configuration, metric: String, timeoutSeconds: Double,
                 inactive: [String] = [], maxSteps: Int? = nil, values: [String] = []) {
        self.trial = trial; self.attempt = attempt; self.params = params; self.metric = metric
        self.timeoutSeconds = timeoutSeconds; self.inactive = inactive; self.maxSteps = maxSteps; self.values = values
    }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", attempt, params, metric, inactive, values
        case timeoutSeconds = "timeout_seconds"
        case maxSteps = "max_steps"
    }
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trial = try container.decode(TrialID.self, forKey: .trial)
        attempt = try container.decode(Int.self, forKey: .attempt)
        params = try container.decode(Configuration.self, forKey: .params)
        metric = try container.decode(String.self, forKey: .metric)
        timeoutSeconds = try container.decode(Double.self, forKey: .timeoutSeconds)
        inactive = try container.decodeIfPresent([String].self, forKey: .inactive) ?? []
        maxSteps = try container.decodeIfPresent(Int.self, forKey: .maxSteps)
        values = try container.decodeIfPresent([String].self, forKey: .values) ?? []
    }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trial, forKey: .trial)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(params, forKey: .params)
        try container.encode(metric, forKey: .metric)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        if !inactive.isEmpty { try container.encode(inactive, forKey: .inactive) }
        if let maxSteps { try container.encode(maxSteps, forKey: .maxSteps) }
        if !values.isEmpty { try container.encode(values, forKey: .values) }
    }
}

/// REPORT, worker → coordinator: an intermediate value.
package struct Report: Sendable, Hashable, Codable {
    package var trial: TrialID
    package var attempt: Int
    package var step: Int
    package var value: Double
    package init(trial: TrialID, attempt: Int, step: Int, value: Double) {
        self.trial = trial; self.attempt = attempt; self.step = step; self.value = value
    }
    package init(from decoder: any Decoder) throws {
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
package enum Action: String, Sendable, Hashable, Codable {
    case `continue`, prune
}

/// DECISION, coordinator → worker: the answer to a REPORT.
package struct Decision: Sendable, Hashable, Codable {
    package var trial: TrialID
    package var step: Int
    package var action: Action
    package init(trial: TrialID, step: Int, action: Action) { self.trial = trial; self.step = step; self.action = action }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", step, action
    }
}

/// How a trial ended, as the worker saw it.
package enum Outcome: String, Sendable, Hashable, Codable {
    case completed, failed, pruned
}

/// RESULT, worker → coordinator: the end of a trial; resent until ACK.
package struct TrialResult: Sendable, Hashable, Codable {
    package var trial: TrialID
    package var attempt: Int
    package var outcome: Outcome
    /// The final value (completed) or the last reported one (pruned).
    package var value: Double?
    package var step: Int?
    package var reason: String?
    package var stderrTail: String?
    /// The final value of each name the TRIAL listed in `values` (a completed trial of a study with
    /// several objectives or constraints); absent otherwise.
    package var values: [String: Double]?
    package init(
        trial: TrialID, attempt: Int, outcome: Outcome, value: Double? = nil, step: Int? = nil,
        reason: String? = nil, stderrTail: String? = nil, values: [String: Double]? = nil
    ) {
        self.trial = trial; self.attempt = attempt; self.outcome = outcome; self.value = value; self.step = step
        self.reason = reason; self.stderrTail = stderrTail; self.values = values
    }
    enum CodingKeys: String, CodingKey {
        case trial = "trial_id", attempt, outcome = "status", value, step, reason, values
        case stderrTail = "stderr_tail"
    }
}

/// ACK, coordinator → worker: the RESULT for this trial is stored.
package struct Ack: Sendable, Hashable, Codable {
    package var trial: TrialID
    package init(trial: TrialID) { self.trial = trial }
    enum CodingKeys: String, CodingKey { case trial = "trial_id" }
}

/// HEARTBEAT, both ways: I am alive.
package struct Heartbeat: Sendable, Hashable, Codable {
    /// Trials the sender believes are running on the worker (worker → coordinator).
    package var running: [TrialID]?
    /// The worker's name and slots (worker → coordinator), so a coordinator that does not know
    /// the sender (it restarted) can take the heartbeat as a HELLO at once.
    package var worker: String?
    package var slots: Int?
    /// Trials whose RESULT the worker has sent but not yet seen acknowledged.
    package var pendingResults: [TrialID]?
    package init(running: [TrialID]? = nil, worker: String? = nil, slots: Int? = nil, pendingResults: [TrialID]? = nil) {
        self.running = running; self.worker = worker; self.slots = slots; self.pendingResults = pendingResults
    }
    enum CodingKeys: String, CodingKey {
        case running, worker, slots
        case pendingResults = "pending_results"
    }
}

/// BYE, both ways: the study is over (coordinator) or the worker is leaving.
package struct Bye: Sendable, Hashable, Codable {
    package var reason: String
    package init(reason: String) { self.reason = reason }
}
