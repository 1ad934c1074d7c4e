import Foundation
import Logging
import Pruning
import Samplers
import Storage
import Timekeeping
import Transport
import TrialModel
import WireProtocol

// Results: reports and pruning decisions, final results, and the end of the study.

extension StudyCoordinator {
    /// Stores a report of the trial's current attempt. One older than the trial's latest (sent
    /// again by a worker that rejoined) fills in the curve without a decision: decisions are
    /// about the latest step.
    func record(_ report: Report, from peer: PeerID) throws {
        guard let trial = trials[report.trial], trial.state == .running, report.attempt == trial.attempt, report.value.isFinite
        else {
            send(.decision(Decision(trial: report.trial, step: report.step, action: .continue)), to: peer)
            return
        }
        try store.record(TrialReport(trial: report.trial, step: report.step, value: report.value), at: timekeeper.date)
        trials.update(report.trial) { $0.step = max(trial.step ?? 0, report.step) }
        reports.record(trial: report.trial, step: report.step, value: report.value)
        guard report.step >= trial.step ?? 0 else {
            send(.decision(Decision(trial: report.trial, step: report.step, action: .continue)), to: peer)
            return
        }
        let why = pruner?.pruneReason(trial: report.trial, step: report.step, history: reports)
        if let why {
            logger.info("trial pruned", metadata: ["trial": "\(report.trial)", "step": "\(report.step)", "reason": "\(why)"])
            if pruneDecisions[report.trial] == nil { pruneDecisions[report.trial] = (report.step, why) }
        } else {
            assess(report.trial, from: peer)
        }
        send(.decision(Decision(trial: report.trial, step: report.step, action: why != nil ? .prune : .continue)), to: peer)
    }

    /// Asks the curve model, in a separate task, what it makes of a running trial's curve so far;
    /// `judge` takes the answer. One assessment per trial at a time: a report that arrives
    /// meanwhile is judged when it ends.
    func assess(_ id: TrialID, from peer: PeerID) {
        guard let curves, let trial = trials[id], trial.state == .running else { return }
        guard !assessing.contains(id) else { reassess[id] = peer; return }
        let values = reports.values[id] ?? [:]
        guard let step = values.keys.max() else { return }
        assessing.insert(id)
        let space = spec.space, best = trials.best?.value, events = self.events
        Task.detached {
            let assessment = curves.assess(trial: id, configuration: trial.configuration, space: space, reports: values,
                                           bestCompleted: best)
            events.push(.assessed(id, step: step, peer: peer, assessment))
        }
    }

    /// Keeps the curve model's forecast of a running trial, and stops the trial when the model
    /// gives it too little chance of beating the best completed value (`Fidelity.stopProbability`).
    /// The decision is about `step`: the worker ignores it if the trial has reported a later step,
    /// which is assessed in turn. `peer` sent the report; the decision goes to it while it holds the trial.
    /// What the model expected of the trial before its reports is stored when first taken, so a
    /// restarted coordinator judges the trial against it too.
    func judge(_ id: TrialID, step: Int, peer: PeerID, _ assessment: CurveAssessment?) throws {
        assessing.remove(id)
        guard let trial = trials[id], trial.state == .running else { reassess[id] = nil; return }
        if let assessment { forecasts[id] = assessment.forecast }
        if let prior = assessment?.newPrior { try store.record(prior, of: id) }
        if let fidelity = spec.fidelity, let assessment, pruneDecisions[id] == nil,
           fidelity.stops(atStep: step, probability: assessment.probability, priorProbability: assessment.priorProbability),
           workers[peer]?.running.contains(id) == true {
            let why = assessment.stopReason(at: step)
            logger.info("trial stopped by the curve model", metadata: ["trial": "\(id)", "step": "\(step)", "reason": "\(why)"])
            pruneDecisions[id] = (step, why)
            send(.decision(Decision(trial: id, step: step, action: .prune)), to: peer)
        }
        if let newer = reassess.removeValue(forKey: id) { assess(id, from: newer) }
    }

    /// Refits the curve model in a separate task on every stored report (at start, and when a
    /// trial ends unless GP-EI refits it for its next suggestion anyway).
    func refitCurves() {
        guard let curves else { return }
        guard !refitting else { refitAgain = true; return }
        refitting = true
        refitAgain = false
        let history = history(withTrials: true)
        let events = self.events
        Task.detached {
            _ = try? curves.update(history)
            events.push(.curvesRefitted)
        }
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
        var values: [String: Double] = [:]
        switch result.outcome {
        case .completed: state = .completed
        case .failed: state = .failed
        case .pruned: state = .pruned
        }
        if state == .completed, !(value?.isFinite ?? false) {
            state = .failed
            reason = reason ?? "completed without a finite value"
            value = nil
        } else if state == .completed, !reportedNames.isEmpty {
            // Every objective and constrained value, finite (a worker that predates them sends none).
            var given = result.values ?? [:]
            if given[spec.metric.name] == nil { given[spec.metric.name] = value }
            if let missing = reportedNames.first(where: { !(given[$0]?.isFinite ?? false) }) {
                state = .failed
                reason = given[missing] == nil
                    ? "completed without reporting \(missing); the study needs \(reportedNames.joined(separator: ", ")) from every trial"
                    : "reported a non-finite \(missing) (\(given[missing]!))"
                value = nil
            } else {
                values = given.filter { reportedNames.contains($0.key) }
            }
        } else if state == .completed, let decision = pruneDecisions[result.trial] {
            // The command ended on its own before the decision reached it: it ran to its end.
            reason = "ran to its end; the decision to stop it at step \(decision.step) came too late (\(decision.reason))"
        } else if state == .pruned, let decision = pruneDecisions[result.trial] {
            reason = decision.reason
        }
        try end(result.trial, state: state, value: value, values: values, step: result.step, reason: reason,
                stderrTail: result.stderrTail)
        send(.ack(Ack(trial: result.trial)), to: peer)
        dispatch()
    }

    /// Stores a trial's final state, updates the in-memory study and reports it.
    func end(_ id: TrialID, state: TrialState, value: Double?, values: [String: Double] = [:], step: Int?, reason: String?,
             stderrTail: String?) throws {
        let now = timekeeper.date
        try store.finish(id, state: state, value: value, values: values, step: step, reason: reason, stderrTail: stderrTail,
                         at: now)
        requeued.removeAll { $0 == id }
        unclaimed[id] = nil
        pruneDecisions[id] = nil
        forecasts[id] = nil
        curves?.forgetPrior(of: id)
        trials.update(id) { trial in
            trial.state = state
            trial.value = value
            trial.values = values
            if let step { trial.step = step }
            trial.reason = reason
            trial.finishedAt = now
        }
        if spec.optimizer.kind != .gpEI { refitCurves() }
        let best = trials.best
        var summary = TrialSummary(
            id: id, state: state, value: value, reason: reason,
            finished: finishedCount, budget: spec.budget.trials, bestID: best?.id,
            bestValue: best.flatMap { spec.value(spec.objectives[0].name, of: $0) })
        summary.values = values
        if !spec.bounds.isEmpty, state == .completed, let trial = trials[id] { summary.feasible = spec.isFeasible(trial) }
        if spec.isMultiObjective { summary.frontSize = trials.front.count }
        onEvent(.trialFinished(summary))
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
            events.finish()
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
        events.finish()
    }
}
