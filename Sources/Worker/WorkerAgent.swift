import Foundation
package import Logging
package import Timekeeping
package import Transport
package import TrialModel
package import WireProtocol

/// Settings of a worker, with defaults that suit a LAN.
package struct WorkerConfiguration: Sendable {
    /// The name the coordinator shows for this worker.
    package var name: String
    /// Trials run at once.
    package var slots: Int = 1
    /// Interval of HEARTBEAT and of HELLO retries until WELCOME (0.2-5 s is sensible).
    package var heartbeatInterval: Duration = .seconds(1)
    /// Intervals of silence from the coordinator before the worker says HELLO again.
    package var liveness: Int = 3
    /// The machine's name, sent in HELLO for the dashboard.
    package var host: String?
    /// GPU ids shared out among the slots through `CUDA_VISIBLE_DEVICES` (empty: left alone).
    package var gpus: [String] = []

    package init(name: String, slots: Int = 1, host: String? = nil, gpus: [String] = []) {
        self.name = name
        self.slots = slots
        self.host = host
        self.gpus = gpus
    }

    /// The GPUs slot `slot` sees: slot i gets every id at a position p with p mod slots = i,
    /// so 4 GPUs and 4 slots give one each, 4 GPUs and 2 slots two each, and 2 GPUs and
    /// 4 slots put two slots on each GPU. Nil when no GPUs were given.
    package static func visibleDevices(slot: Int, slots: Int, gpus: [String]) -> String? {
        guard !gpus.isEmpty, slots > 0 else { return nil }
        if gpus.count < slots { return gpus[slot % gpus.count] }
        return gpus.indices.filter { $0 % slots == slot }.map { gpus[$0] }.joined(separator: ",")
    }
}

/// What the worker runs for each trial.
package enum TrialRunner: Sendable {
    /// The user's command, once per trial.
    case command(CommandTemplate)
}

/// Something worth showing the person watching a worker.
package enum WorkerEvent: Sendable {
    case joined(study: String)
    case trialStarted(id: TrialID, params: String)
    case trialEnded(id: TrialID, outcome: Outcome, value: Double?, reason: String?)
}

/// Joins a coordinator, runs trials in its slots, streams reports, and keeps every
/// result until the coordinator acknowledges it. Returns when the coordinator says BYE.
package actor WorkerAgent {
    enum Event: Sendable {
        case inbound([Data])
        case tick
        case report(TrialID, MetricLine)
        case exited(TrialID, ProcessOutcome)
        case timedOut(TrialID, attempt: Int)
        case leave
    }

    struct Running {
        var assignment: TrialAssignment
        var process: TrialProcess
        /// Which of the worker's slots runs it, from 0.
        var slot: Int
        var reports = 0
        /// Wakes at the trial's timeout; cancelled when the command ends first.
        var deadline: Task<Void, Never>?
    }

    let configuration: WorkerConfiguration
    let runner: TrialRunner
    let transport: any DealerTransport
    let logger: Logger
    let onEvent: @Sendable (WorkerEvent) -> Void
    /// Heartbeats, the coordinator's liveness and trial timeouts.
    let timekeeper: any Timekeeper

    var welcomed = false
    var lastHeard: Duration
    var running: [TrialID: Running] = [:]
    /// Results sent but not yet acknowledged, resent on every heartbeat.
    var unacknowledged: [TrialID: TrialResult] = [:]
    /// Reports no DECISION has answered yet (for their step or a later one), by trial, oldest
    /// first: sent again on a WELCOME and before a RESULT sent again, so a coordinator that
    /// restarted meanwhile stores the whole curve. At most `maxUnanswered` per trial.
    var unanswered: [TrialID: [Report]] = [:]
    static let maxUnanswered = 10_000
    var events: AsyncStream<Event>.Continuation?
    var done = false

    package init(
        configuration: WorkerConfiguration, runner: TrialRunner, transport: any DealerTransport,
        timekeeper: any Timekeeper = SystemTimekeeper(), logger: Logger,
        onEvent: @escaping @Sendable (WorkerEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.runner = runner
        self.transport = transport
        self.logger = logger
        self.onEvent = onEvent
        self.timekeeper = timekeeper
        self.lastHeard = timekeeper.now
    }

    /// Leaves the study (SIGTERM, SIGINT): running commands are stopped and their trials handed
    /// back to the coordinator with BYE, which gives them to other workers.
    package nonisolated func stop() {
        Task { await self.events?.yield(.leave) }
    }

    /// Runs until the coordinator says BYE, or `stop()` is called.
    package func run() async {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        events = continuation
        let inbound = transport.inbound
        let forward = Task {
            for await frames in inbound { continuation.yield(.inbound(frames)) }
        }
        let interval = configuration.heartbeatInterval
        let timekeeper = self.timekeeper
        let ticker = Task {
            while true {
                do { try await timekeeper.sleep(for: interval) } catch { return }
                continuation.yield(.tick)
            }
        }
        defer {
            forward.cancel()
            ticker.cancel()
        }
        sayHello()
        for await event in stream {
            switch event {
            case .inbound(let frames): handle(frames)
            case .tick: tick()
            case .report(let id, let line): report(id, line)
            case .exited(let id, let outcome): finished(id, outcome)
            case .timedOut(let id, let attempt):
                if let trial = running[id], trial.assignment.attempt == attempt { trial.process.stop(.timedOut) }
            case .leave: leave()
            }
            if done && running.isEmpty { break }
        }
    }
}
