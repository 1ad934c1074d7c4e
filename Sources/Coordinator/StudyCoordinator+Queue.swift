import Foundation
import Logging
import Samplers
import Storage
import TrialModel

// The queue: configurations a person chose (initial_configurations, `sextant enqueue`) and
// reruns (`sextant retry`), read from the database each time trials are dispatched, so a
// running coordinator sees what another process added without a restart.

extension StudyCoordinator {
    /// Queues the study file's initial configurations that were never queued for this study.
    func queueInitialConfigurations() throws {
        guard let initial = spec.initialConfigurations, !initial.isEmpty else { return }
        try store.queueInitial(initial, in: study.id, at: timekeeper.date)
    }

    /// Reads the queue. Reruns go in line at once: they take no budget and need no slot to be
    /// counted as unfinished, so the study does not end before they run. The chosen
    /// configurations are returned in order, for `dispatch` to place before any suggestion.
    func readQueue() -> [QueueEntry] {
        let entries: [QueueEntry]
        do {
            entries = try store.waiting(in: study.id)
        } catch {
            logger.error("could not read the study's queue", metadata: ["error": "\(error)"])
            return []
        }
        var chosen: [QueueEntry] = []
        for entry in entries {
            guard case .retry(let id) = entry.kind else {
                chosen.append(entry)
                continue
            }
            do {
                try rerun(id, entry: entry.id)
            } catch {
                logger.error("could not queue a trial to run again", metadata: ["trial": "\(id)", "error": "\(error)"])
            }
        }
        return chosen
    }

    /// Keeps the ended attempt of trial `id` in the database and puts the trial back in line; it
    /// runs next as attempt + 1. A trial that is not finished (already in line, or unknown) is
    /// left as it is and the entry dropped.
    func rerun(_ id: TrialID, entry: QueueEntryID) throws {
        guard let trial = trials[id], trial.state.isFinished else {
            try store.use(entry, for: nil, at: timekeeper.date)
            return
        }
        try store.rerun(id, entry: entry, at: timekeeper.date)
        reports.forget(trial: id)
        curves?.forgetPrior(of: id)
        pruneDecisions[id] = nil
        forecasts[id] = nil
        trials.update(id) { trial in
            trial.state = .pending; trial.value = nil; trial.step = nil; trial.worker = nil
            trial.startedAt = nil; trial.finishedAt = nil; trial.reason = nil; trial.stderrTail = nil
        }
        requeued.append(id)
        logger.info("trial queued to run again", metadata: ["trial": "\(id)", "attempt": "\(trial.attempt + 1)"])
    }

    /// Places `entries` in order while slots and the budget allow. A partial configuration is
    /// completed by the sampler (its suggestion, with the given values in place of its own):
    /// here and now when the sampler answers at once, else in a separate task like any suggestion.
    func placeChosen(_ entries: [QueueEntry]) {
        for entry in entries {
            guard canStartNewTrial, let peer = peerWithFreeSlot(), let partial = entry.configuration else { return }
            do {
                if spec.space.isComplete(partial) {
                    try place(partial, on: peer, entry: entry.id)
                } else if sampler.suggestsInstantly {
                    let suggestion = try sampler.suggestNow(history())
                    try place(completed(partial, with: suggestion), on: peer, entry: entry.id)
                } else {
                    filling = entry
                    suggestInBackground()
                    return
                }
            } catch {
                logger.error("could not start a queued configuration", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// `partial` with the sampler's values where it has none; the middle of the space when the
    /// sampler has nothing left to suggest (an exhausted grid).
    func completed(_ partial: Configuration, with suggestion: Configuration?) -> Configuration {
        let filler = suggestion ?? spec.space.decode(Array(repeating: 0.5, count: spec.space.dimension))
        return spec.space.completing(partial, with: filler)
    }
}
