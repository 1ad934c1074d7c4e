import Foundation
import Logging
import Pruning
import Samplers
import Storage
import Timekeeping
import Transport
import TrialModel
import WireProtocol

extension StudyCoordinator {
    func send(_ message: Message, to peer: PeerID) {
        if outbox != nil {
            outbox?.append((peer, message))
        } else {
            transport.send(WireCodec.encode(message), to: peer)
        }
    }

    func handle(_ frames: [Data], from peer: PeerID) throws {
        let message: Message
        do {
            message = try WireCodec.decode(frames)
        } catch {
            logger.warning("dropped a message that is not protocol v1", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return
        }
        workers[peer]?.lastSeen = timekeeper.now
        switch message {
        case .hello(let hello): try join(peer, hello)
        case .report(let report): try record(report, from: peer)
        case .result(let result): try complete(result, from: peer)
        case .heartbeat(let heartbeat):
            // A worker this coordinator does not know (it restarted): its heartbeat says enough to rejoin.
            if workers[peer] == nil, let name = heartbeat.worker, let slots = heartbeat.slots {
                try join(peer, Hello(worker: name, slots: slots, running: heartbeat.running ?? []))
            } else if let running = heartbeat.running {
                try reconcile(peer, running: Set(running).union(heartbeat.pendingResults ?? []))
            }
        case .bye: try leave(peer)
        case .welcome, .trial, .decision, .ack:
            logger.warning("dropped a message only a coordinator sends", metadata: ["type": "\(message.type)"])
        }
    }

    func join(_ peer: PeerID, _ hello: Hello) throws {
        let slots = max(1, min(hello.slots, 1024))
        let hello = Hello(worker: String(hello.worker.prefix(64)), slots: slots, running: hello.running,
                          host: hello.host.map { String($0.prefix(255)) })
        // Trials the worker still runs from before a reconnect stay assigned to it.
        var running = Set<TrialID>()
        for id in hello.running {
            guard let trial = trials[id], !trial.state.isFinished else { continue }
            if unclaimed.removeValue(forKey: id) != nil {
                try store.restart(id, attempt: trial.attempt, worker: hello.worker, state: .running, at: timekeeper.date)
                trials.update(id) { $0.worker = hello.worker }
                logger.info("trial reclaimed by its worker", metadata: ["trial": "\(id)", "worker": "\(hello.worker)"])
            } else if let index = requeued.firstIndex(of: id) {
                requeued.remove(at: index)
                try store.restart(id, attempt: trial.attempt, worker: hello.worker, state: .running, at: timekeeper.date)
                trials.update(id) { $0.state = .running; $0.worker = hello.worker }
            }
            running.insert(id)
        }
        let isNew = workers[peer] == nil
        // A repeated HELLO from a known connection may be stale (queued before a TRIAL went out):
        // trials assigned to this connection stay assigned until their RESULT arrives.
        if let known = workers[peer] { running.formUnion(known.running) }
        let state = WorkerState(name: hello.worker, host: hello.host ?? workers[peer]?.host, slots: slots,
                                running: running, lastSeen: timekeeper.now,
                                joinedAt: workers[peer]?.joinedAt ?? timekeeper.date)
        workers[peer] = state
        maybeFree.insert(peer)
        send(.welcome(Welcome(study: spec.name, metric: spec.metric.name, goal: spec.metric.goal,
                              heartbeatMilliseconds: Int(configuration.heartbeatInterval.components.seconds * 1000
                                  + configuration.heartbeatInterval.components.attoseconds / 1_000_000_000_000_000))),
             to: peer)
        if isNew { onEvent(.workerJoined(name: hello.worker, slots: slots)) }
        logger.info("worker joined", metadata: ["worker": "\(hello.worker)", "slots": "\(slots)"])
        dispatch()
    }

    /// Trials assigned to `peer` more than two heartbeats ago that it neither runs nor has a
    /// result for never reached it (a TRIAL lost on the way): free the slot and requeue them.
    func reconcile(_ peer: PeerID, running: Set<TrialID>) throws {
        guard let worker = workers[peer] else { return }
        let cutoff = timekeeper.now - configuration.heartbeatInterval * 2
        let missing = worker.running.filter { id in
            !running.contains(id) && (worker.assignedAt[id].map { $0 < cutoff } ?? true)
        }
        guard !missing.isEmpty else { return }
        for id in missing { release(id, from: worker, peer: peer) }
        for id in missing { try requeue(id, reason: "worker \(worker.name) never received it") }
        dispatch()
    }

    func leave(_ peer: PeerID) throws {
        guard let worker = workers.removeValue(forKey: peer) else { return }
        for id in worker.running { try requeue(id, reason: "worker \(worker.name) left") }
        onEvent(.workerLeft(name: worker.name))
        dispatch()
    }

    func record(_ report: Report, from peer: PeerID) throws {
        guard let trial = trials[report.trial], trial.state == .running, report.value.isFinite else {
            send(.decision(Decision(trial: report.trial, step: report.step, action: .continue)), to: peer)
            return
        }
        try store.record(TrialReport(trial: report.trial, step: report.step, value: report.value), at: timekeeper.date)
        trials.update(report.trial) { $0.step = max(trial.step ?? 0, report.step) }
        reports.record(trial: report.trial, step: report.step, value: report.value)
        let prune = pruner?.shouldPrune(trial: report.trial, step: report.step, history: reports) ?? false
        if prune {
            logger.info("trial pruned", metadata: ["trial": "\(report.trial)", "step": "\(report.step)"])
            if pruneDecisions[report.trial] == nil { pruneDecisions[report.trial] = report.step }
        }
        send(.decision(Decision(trial: report.trial, step: report.step, action: prune ? .prune : .continue)), to: peer)
    }

    func complete(_ result: TrialResult, from peer: PeerID) throws {
        let holds = workers[peer]?.running.contains(result.trial) == true
        if let worker = workers[peer] { release(result.trial, from: worker, peer: peer) }
        // A repeated RESULT (its ACK was lost) or one for an unknown trial is acknowledged and ignored.
        guard let trial = trials[result.trial], !trial.state.isFinished else {
            send(.ack(Ack(trial: result.trial)), to: peer)
            dispatch()
            return
        }
        // Only the worker holding the trial may finish it, or anyone while it has no holder (its
        // worker was lost or the coordinator restarted); a result from elsewhere is acknowledged,
        // so an honest worker stops resending it, and otherwise ignored.
        let orphaned = unclaimed[result.trial] != nil || requeued.contains(result.trial)
        guard (holds || orphaned) && result.attempt <= trial.attempt else {
            logger.warning("ignored a result from a worker that does not hold the trial",
                           metadata: ["trial": "\(result.trial)", "peer": "\(peer)"])
            send(.ack(Ack(trial: result.trial)), to: peer)
            return
        }
        var state: TrialState
        var value = result.value
        var reason = result.reason
        switch result.outcome {
        case .completed: state = .completed
        case .failed: state = .failed
        case .pruned: state = .pruned
        }
        if state == .completed, !(value?.isFinite ?? false) {
            state = .failed
            reason = reason ?? "completed without a finite value"
            value = nil
        } else if state == .completed, let step = pruneDecisions[result.trial] {
            // The command ended on its own before the decision reached it: it ran to its end.
            reason = "ran to its end; the pruner's decision at step \(step) came too late to stop it"
        }
        try end(result.trial, state: state, value: value, step: result.step, reason: reason, stderrTail: result.stderrTail)
        send(.ack(Ack(trial: result.trial)), to: peer)
        dispatch()
    }

    /// Stores a trial's final state, updates the in-memory study and reports it.
    func end(_ id: TrialID, state: TrialState, value: Double?, step: Int?, reason: String?, stderrTail: String?) throws {
        let now = timekeeper.date
        try store.finish(id, state: state, value: value, step: step, reason: reason, stderrTail: stderrTail, at: now)
        requeued.removeAll { $0 == id }
        unclaimed[id] = nil
        pruneDecisions[id] = nil
        trials.update(id) { trial in
            trial.state = state
            trial.value = value
            if let step { trial.step = step }
            trial.reason = reason
            trial.finishedAt = now
        }
        let best = trials.best
        onEvent(.trialFinished(TrialSummary(
            id: id.rawValue, state: state.rawValue, value: value, reason: reason,
            finished: finishedCount, budget: spec.budget.trials, bestID: best?.id.rawValue, bestValue: best?.value)))
    }

    func tick() throws {
        let now = timekeeper.now
        for (id, deadline) in unclaimed where now >= deadline {
            unclaimed[id] = nil
            try requeue(id, reason: "its worker did not rejoin after the restart")
        }
        let deadline = configuration.heartbeatInterval * configuration.liveness
        for (peer, worker) in workers {
            if now - worker.lastSeen > deadline {
                workers[peer] = nil
                for id in worker.running { try requeue(id, reason: "worker \(worker.name) lost") }
                logger.warning("worker lost", metadata: ["worker": "\(worker.name)"])
                onEvent(.workerLost(name: worker.name, requeued: worker.running.count))
            } else {
                send(.heartbeat(Heartbeat()), to: peer)
            }
        }
        dispatch()
    }

    /// Puts a trial back in line for another attempt on another worker.
    func requeue(_ id: TrialID, reason: String) throws {
        guard let trial = trials[id], !trial.state.isFinished, !requeued.contains(id) else { return }
        if trial.attempt > spec.maxRetries {
            let why = "lost \(trial.attempt) times (max_retries \(spec.maxRetries)); last: \(reason)"
            try end(id, state: .failed, value: nil, step: nil, reason: why, stderrTail: nil)
            return
        }
        try store.restart(id, attempt: trial.attempt, worker: nil, state: .pending, at: timekeeper.date)
        reports.forget(trial: id)
        pruneDecisions[id] = nil
        trials.update(id) { $0.state = .pending; $0.worker = nil }
        requeued.append(id)
        logger.info("trial requeued", metadata: ["trial": "\(id)", "reason": "\(reason)"])
    }

    var canStartNewTrial: Bool {
        end == nil && !exhausted && !suggestionInFlight
            && finishedCount + activeCount < spec.budget.trials
    }

    /// Fills free worker slots: requeued trials first, then one new suggestion at a time.
    func dispatch() {
        guard end == nil, shutdownDeadline == nil else { return }
        while !requeued.isEmpty, let peer = peerWithFreeSlot() {
            let id = requeued.removeFirst()
            guard let trial = trials[id], trial.state == .pending else { continue }
            do {
                try assign(trial, attempt: trial.attempt + 1, to: peer)
            } catch {
                logger.error("could not store a trial assignment", metadata: ["error": "\(error)"])
                requeued.insert(id, at: 0)
                return
            }
        }
        guard canStartNewTrial, peerWithFreeSlot() != nil else { return }
        if sampler.suggestsInstantly {
            suggestInline()
            return
        }
        suggestionInFlight = true
        let history = self.history()
        let sampler = self.sampler
        let events = self.events
        Task.detached {
            // Latency is computing time, measured on the machine's clock whatever the timekeeper.
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let configuration = try await sampler.suggest(history)
                events?.push(.suggested(.success(configuration), clock.now - start))
            } catch {
                events?.push(.suggested(.failure(error), clock.now - start))
            }
        }
    }

    /// What the sampler sees: the trials, or only their number when that is all it reads.
    func history() -> StudyHistory {
        sampler.needsTrials(for: spec)
            ? StudyHistory(spec: spec, trials: trials.ordered) : StudyHistory(spec: spec, trialCount: trials.count)
    }

    /// Fills every free slot with a suggestion computed here and now (random and grid search).
    /// A failure is queued as the suggestion's result, where it stops the study as it would
    /// from a separate task.
    func suggestInline() {
        let clock = ContinuousClock()
        while canStartNewTrial, let peer = peerWithFreeSlot() {
            let start = clock.now
            do {
                guard let configuration = try sampler.suggestNow(history()) else {
                    exhausted = true
                    return
                }
                recordLatency(clock.now - start)
                try place(configuration, on: peer)
            } catch {
                suggestionInFlight = true
                events?.push(.suggested(.failure(error), clock.now - start))
                return
            }
        }
    }

    /// Stores a new trial for `configuration` and sends it to `peer`.
    func place(_ configuration: Configuration, on peer: PeerID) throws {
        let trial = try store.insertTrial(in: study.id, configuration: configuration, worker: workers[peer]!.name, at: timekeeper.date)
        trials[trial.id] = trial
        try assign(trial, attempt: 1, to: peer, stored: true)
    }

    func accept(_ suggestion: Result<Configuration?, any Error>) throws {
        suggestionInFlight = false
        switch suggestion {
        case .failure(let error):
            throw error
        case .success(nil):
            exhausted = true
        case .success(let configuration?):
            guard let peer = peerWithFreeSlot() else {
                // The slot went away meanwhile; the suggestion is recomputed next time.
                dispatch()
                return
            }
            try place(configuration, on: peer)
            dispatch()
        }
    }

    func assign(_ trial: Trial, attempt: Int, to peer: PeerID, stored: Bool = false) throws {
        guard let worker = workers[peer] else { return }
        if !stored {
            try store.restart(trial.id, attempt: attempt, worker: worker.name, state: .running, at: timekeeper.date)
        }
        trials.update(trial.id) { $0.state = .running; $0.attempt = attempt; $0.worker = worker.name }
        worker.running.insert(trial.id)
        worker.assignedAt[trial.id] = timekeeper.now
        send(.trial(TrialAssignment(trial: trial.id, attempt: attempt, params: trial.configuration,
                                    metric: spec.metric.name, timeoutSeconds: spec.trialTimeoutSeconds)), to: peer)
        onEvent(.trialStarted(id: trial.id.rawValue, worker: worker.name,
                              params: TrialFormatting.describe(trial.configuration, in: spec.space)))
    }

    /// Frees the slot `id` held on `worker`; the worker may now take another trial.
    func release(_ id: TrialID, from worker: WorkerState, peer: PeerID) {
        worker.running.remove(id)
        worker.assignedAt[id] = nil
        maybeFree.insert(peer)
    }

    /// The worker with the most free slots (ties: the one that joined first by name).
    func peerWithFreeSlot() -> PeerID? {
        var chosen: (peer: PeerID, worker: WorkerState)?
        var full: [PeerID] = []
        // Only workers that joined or freed a slot since they were last seen full can have one.
        for peer in maybeFree {
            guard let worker = workers[peer], worker.free > 0 else {
                full.append(peer)
                continue
            }
            if let current = chosen, current.worker.free > worker.free
                || (current.worker.free == worker.free && current.worker.name <= worker.name)
            {
                continue
            }
            chosen = (peer, worker)
        }
        for peer in full { maybeFree.remove(peer) }
        return chosen?.peer
    }

    /// Ends the study: running trials are marked failed when it stopped early, workers get BYE.
    func finish() throws {
        let end = self.end ?? .budgetSpent
        let reason: String
        switch end {
        case .budgetSpent: reason = "budget spent"
        case .timeBudgetSpent: reason = "time budget spent"
        case .tooManyFailures(let count): reason = "\(count) trials failed"
        case .interrupted:
            // Trials still running stay so in the database: a restarted coordinator gives their
            // workers the reclaim grace. Workers get no BYE: they wait for that coordinator.
            try store.setState(.interrupted, of: study.id)
            events?.finish()
            return
        }
        try store.batch {
            for trial in trials.ordered where !trial.state.isFinished {
                try store.finish(trial.id, state: .failed, value: nil, step: nil,
                                 reason: "study stopped: \(reason)", stderrTail: nil, at: timekeeper.date)
            }
            try store.setState(end == .budgetSpent ? .finished : .stopped, of: study.id)
        }
        for peer in workers.keys { send(.bye(Bye(reason: "study \(reason)")), to: peer) }
        events?.finish()
    }
}
