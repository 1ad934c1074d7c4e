import Foundation
import Logging
import Pruning
import Samplers
import Storage
import Timekeeping
import Transport
import TrialModel
import WireProtocol

// Scheduling: requeued trials first, then queued configurations, then new suggestions, onto free slots.

extension StudyCoordinator {
    /// Puts a trial back in line for another attempt on another worker.
    func requeue(_ id: TrialID, reason: String) throws {
        guard let trial = trials[id], !trial.state.isFinished, !requeued.contains(id) else { return }
        if trial.attempt > spec.maxRetries {
            let why = "lost \(trial.attempt) times (max_retries \(spec.maxRetries)); last: \(reason)"
            try end(id, state: .failed, value: nil, step: nil, reason: why, stderrTail: nil)
            return
        }
        try store.requeue(id, reason: reason, at: timekeeper.date)
        reports.forget(trial: id)
        curves?.forgetPrior(of: id)
        pruneDecisions[id] = nil
        forecasts[id] = nil
        trials.update(id) { $0.state = .pending; $0.worker = nil }
        requeued.append(id)
        logger.info("trial requeued", metadata: ["trial": "\(id)", "reason": "\(reason)"])
    }

    var canStartNewTrial: Bool {
        end == nil && !exhausted && !suggestionInFlight
            && finishedCount + activeCount < spec.budget.trials
    }

    /// Fills free worker slots: requeued trials first, then the configurations waiting in the
    /// study's queue, then one new suggestion at a time.
    func dispatch() {
        guard end == nil, shutdownDeadline == nil else { return }
        let chosen = readQueue()
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
        // Configurations a person chose go before the sampler's.
        placeChosen(chosen)
        guard canStartNewTrial, peerWithFreeSlot() != nil else { return }
        if sampler.suggestsInstantly {
            suggestInline()
            return
        }
        suggestInBackground()
    }

    /// Asks the sampler for one configuration in a separate task; `accept` takes the answer.
    func suggestInBackground() {
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
                events.push(.suggested(.success(configuration), clock.now - start))
            } catch {
                events.push(.suggested(.failure(error), clock.now - start))
            }
        }
    }

    /// What the sampler sees: the trials, or only their number when that is all it reads.
    func history() -> StudyHistory {
        history(withTrials: sampler.needsTrials(for: spec))
    }

    /// The study as samplers and the curve model see it; with `withTrials` false, only the trials' number.
    func history(withTrials: Bool) -> StudyHistory {
        var history = withTrials
            ? StudyHistory(spec: spec, trials: trials.ordered) : StudyHistory(spec: spec, trialCount: trials.count)
        history.warmStart = warmStart
        if curves != nil { history.reports = reports.values }
        return history
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
                events.push(.suggested(.failure(error), clock.now - start))
                return
            }
        }
    }

    /// Stores a new trial for `configuration` (and that it used queue entry `entry`, in the same
    /// transaction) and sends it to `peer`.
    func place(_ configuration: Configuration, on peer: PeerID, entry: QueueEntryID? = nil) throws {
        let trial = try store.batch {
            let trial = try store.insertTrial(in: study.id, configuration: configuration, worker: workers[peer]!.name,
                                              at: timekeeper.date)
            if let entry { try store.use(entry, for: trial.id, at: timekeeper.date) }
            return trial
        }
        trials[trial.id] = trial
        try assign(trial, attempt: 1, to: peer, stored: true)
    }

    func accept(_ suggestion: Result<Configuration?, any Error>) throws {
        suggestionInFlight = false
        // The queued configuration this suggestion completes, if any.
        let entry = filling
        filling = nil
        switch suggestion {
        case .failure(let error):
            throw error
        case .success(let configuration):
            guard let peer = peerWithFreeSlot() else {
                // The slot went away meanwhile; the suggestion is recomputed next time.
                if configuration == nil && entry == nil { exhausted = true }
                dispatch()
                return
            }
            if let entry, let partial = entry.configuration {
                try place(completed(partial, with: configuration), on: peer, entry: entry.id)
            } else if let configuration {
                try place(configuration, on: peer)
            } else {
                exhausted = true
                return
            }
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
        let inactive = spec.space.parameters.map(\.name).filter { trial.configuration[$0] == nil }
        send(.trial(TrialAssignment(trial: trial.id, attempt: attempt, params: trial.configuration,
                                    metric: spec.metric.name, timeoutSeconds: spec.trialTimeoutSeconds,
                                    inactive: inactive, maxSteps: spec.fidelity?.maxSteps, values: reportedNames)), to: peer)
        onEvent(.trialStarted(id: trial.id, worker: worker.name,
                              params: TrialFormatting.describe(trial.configuration, in: spec.space)))
    }
}
