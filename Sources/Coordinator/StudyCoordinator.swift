import Foundation
package import Logging
package import Pruning
package import Samplers
package import Storage
package import Timekeeping
package import Transport
package import TrialModel
import WireProtocol

/// Runs one study: registers workers, hands out trials, stores every report and
/// result before acknowledging it, enforces the budget, and says BYE at the end.
///
/// All study state lives in this actor. Messages, timer ticks and finished
/// suggestions are queued as events and handled in batches, one event at a time; each
/// batch is stored in one transaction before its replies go out. A slow sampler runs in
/// a separate task, so a suggestion never delays heartbeats.
package actor StudyCoordinator {
    enum Event: Sendable {
        case inbound(PeerID, [Data])
        case tick
        case suggested(Result<Configuration?, any Error>, Duration)
        /// The learning-curve model judged a running trial's curve up to `step`.
        case assessed(TrialID, step: Int, peer: PeerID, CurveAssessment?)
        /// The learning-curve model was refitted.
        case curvesRefitted
        case shutdown
    }

    /// A connected worker. A class so that scanning every worker per trial (to find a free
    /// slot) reads them in place instead of copying each one's sets; only this actor touches it.
    final class WorkerState {
        var name: String
        var host: String?
        var slots: Int
        var running: Set<TrialID>
        var lastSeen: Duration
        /// When each running trial was sent, to tell a lost TRIAL from one still in flight.
        var assignedAt: [TrialID: Duration] = [:]
        var joinedAt: Date
        var free: Int { slots - running.count }

        init(name: String, host: String?, slots: Int, running: Set<TrialID>, lastSeen: Duration, joinedAt: Date) {
            self.name = name; self.host = host; self.slots = slots; self.running = running; self.lastSeen = lastSeen
            self.joinedAt = joinedAt
        }
    }

    let study: StudyRecord
    let store: any TrialStore
    let sampler: any Sampler
    /// Completed trials of an earlier study that the sampler sees as observations (`StudyHistory.warmStart`).
    let warmStart: [Trial]
    let pruner: (any Pruner)?
    /// The learning-curve model of a study with a fidelity (shared with a GP-EI sampler).
    let curves: CurveModel?
    var reports: ReportHistory
    let transport: any RouterTransport
    let configuration: CoordinatorConfiguration
    let logger: Logger
    let onEvent: @Sendable (StudyEvent) -> Void
    /// Heartbeats, liveness, reclaim and time budgets, and every stored time stamp.
    let timekeeper: any Timekeeper

    var spec: StudySpec { study.spec }
    /// Every value a completed trial must report (`StudySpec.reportedNames`).
    var reportedNames: [String] { trials.reportedNames }
    var trials: TrialTable
    var workers: [PeerID: WorkerState] = [:]
    /// Every worker with a free slot is in here (and perhaps some without): `peerWithFreeSlot`
    /// looks only here and drops the full ones, so finding a slot does not scan the whole fleet.
    var maybeFree = Set<PeerID>()
    /// Trials waiting for a slot (requeued after their worker was lost).
    var requeued: [TrialID] = []
    /// Trials left running by a previous coordinator, waiting (until the deadline) for their worker.
    var unclaimed: [TrialID: Duration] = [:]
    /// Set by `shutdown()`: no new trials; ends when nothing runs or the deadline passes.
    var shutdownDeadline: Duration?
    /// The step at which the pruner (or the curve model) first said stop, and why, per running
    /// trial: a trial that completes anyway ran to its end before the decision reached it, and
    /// keeps the decision as a note.
    var pruneDecisions: [TrialID: (step: Int, reason: String)] = [:]
    /// The curve model's latest forecast of each running trial (for the dashboard).
    var forecasts: [TrialID: [CurveForecastPoint]] = [:]
    /// Trials whose curve is being assessed in a separate task; those in `reassess` got a newer
    /// report meanwhile (from the peer given) and are assessed again when it ends.
    var assessing = Set<TrialID>()
    var reassess: [TrialID: PeerID] = [:]
    /// A refit of the curve model runs in a separate task; `refitAgain`: the data changed meanwhile.
    var refitting = false
    var refitAgain = false
    var suggestionInFlight = false
    /// The queued partial configuration the suggestion in flight will complete, if any.
    var filling: QueueEntry?
    var exhausted = false
    var end: StudyEnd?
    var startedAt: Duration
    var startedDate: Date
    var suggestLatency = LatencyHistogram()
    var lastSuggestSeconds: Double?
    /// The inbox, there from the start: a stop asked for before `run()` (a signal during
    /// start-up) waits in it like any other event.
    let events = EventQueue<Event>()
    /// Messages held back until the batch that produced them is stored; nil outside a batch.
    var outbox: [(PeerID, Message)]?

    package init(
        study: StudyRecord, store: any TrialStore, sampler: any Sampler, warmStart: [Trial] = [], pruner: (any Pruner)? = nil,
        curves: CurveModel? = nil, transport: any RouterTransport,
        configuration: CoordinatorConfiguration = .init(), timekeeper: any Timekeeper = SystemTimekeeper(),
        logger: Logger, onEvent: @escaping @Sendable (StudyEvent) -> Void = { _ in }
    ) {
        self.study = study
        self.store = store
        self.sampler = sampler
        self.warmStart = warmStart
        self.pruner = pruner
        self.curves = curves
        self.reports = ReportHistory(goal: study.spec.metric.goal)
        self.trials = TrialTable(spec: study.spec)
        self.transport = transport
        self.configuration = configuration
        self.logger = logger
        self.onEvent = onEvent
        self.timekeeper = timekeeper
        self.startedAt = timekeeper.now
        self.startedDate = timekeeper.date
    }

    /// Runs until the budget is spent; returns why the study ended.
    package func run() async throws -> StudyEnd {
        startedAt = timekeeper.now
        startedDate = timekeeper.date
        try resume()
        let queue = events
        let inbound = transport.inbound
        let forward = Task {
            for await (peer, frames) in inbound { queue.push(.inbound(peer, frames)) }
        }
        let interval = configuration.heartbeatInterval
        let timekeeper = self.timekeeper
        let ticker = Task {
            while true {
                do { try await timekeeper.sleep(for: interval) } catch { return }
                queue.push(.tick)
            }
        }
        defer {
            forward.cancel()
            ticker.cancel()
        }
        checkEnd()
        if end == nil { dispatch() }
        for await _ in queue.wakes {
            if end != nil { break }
            let batch = queue.drain()
            if !batch.isEmpty { try process(batch) }
            if end != nil { break }
        }
        // The stream only ends early when the task is cancelled: leave the study as it is, to resume.
        guard let end else { throw CancellationError() }
        try finish()
        return end
    }

    /// Handles queued events as one batch: every change they make is stored in one
    /// transaction, and only then are the replies (ACKs, TRIALs, decisions) sent.
    func process(_ batch: [Event]) throws {
        outbox = []
        defer { outbox = nil }
        try store.batch {
            for event in batch {
                switch event {
                case .inbound(let peer, let frames): try handle(frames, from: peer)
                case .tick: try tick()
                case .suggested(let result, let latency):
                    recordLatency(latency)
                    try accept(result)
                case .assessed(let trial, let step, let peer, let assessment): try judge(trial, step: step, peer: peer, assessment)
                case .curvesRefitted:
                    refitting = false
                    if refitAgain { refitCurves() }
                case .shutdown: if shutdownDeadline == nil { shutdownDeadline = timekeeper.now + configuration.shutdownGrace }
                }
                if end == nil { checkEnd() }
                if end != nil { break }
            }
        }
        for (peer, message) in outbox ?? [] { transport.send(WireCodec.encode(message), to: peer) }
    }

    func recordLatency(_ latency: Duration) {
        let seconds = Self.seconds(latency)
        suggestLatency.record(seconds: seconds)
        lastSuggestSeconds = seconds
    }

    /// Asks the study to stop: no new trials; running ones get `shutdownGrace` to finish.
    /// Safe to call from a signal handler's task.
    package nonisolated func shutdown() {
        events.push(.shutdown)
    }

    /// Loads the study's trials. Trials an earlier coordinator left running wait `reclaimGrace`
    /// for their worker to rejoin (its HELLO lists them) and are requeued after that. The study
    /// file's initial configurations join the queue unless an earlier run queued them.
    func resume() throws {
        try queueInitialConfigurations()
        for report in try store.reports(in: study.id) {
            reports.record(trial: report.trial, step: report.step, value: report.value)
        }
        let deadline = timekeeper.now + configuration.reclaimGrace
        for trial in try store.trials(in: study.id) {
            trials[trial.id] = trial
            if trial.state == .running {
                unclaimed[trial.id] = deadline
            } else if trial.state == .pending {
                try requeue(trial.id, reason: "coordinator restarted")
            }
        }
        // Reruns asked for while no coordinator ran: in line before the budget is checked.
        _ = try store.batch { readQueue() }
        // The curve model is rebuilt from the stored reports, and takes back what it expected of
        // the trials before their reports.
        curves?.restore(priors: try store.curvePriors(in: study.id))
        refitCurves()
    }

    var finishedCount: Int { trials.finished }
    var failedCount: Int { trials.count(.failed) }
    var activeCount: Int { trials.count - trials.finished }

    func checkEnd() {
        if finishedCount >= spec.budget.trials {
            end = .budgetSpent
        } else if let limit = spec.budget.maxFailures, failedCount >= limit {
            end = .tooManyFailures(failedCount)
        } else if let seconds = spec.budget.maxSeconds, timekeeper.now - startedAt >= .seconds(seconds) {
            end = .timeBudgetSpent
        } else if exhausted && activeCount == 0 && !suggestionInFlight {
            end = .budgetSpent
        } else if let deadline = shutdownDeadline, workers.values.allSatisfy({ $0.running.isEmpty }) || timekeeper.now >= deadline {
            end = .interrupted
        }
    }
}
