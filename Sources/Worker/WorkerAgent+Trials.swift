import Foundation
import Logging
import TrialModel
import WireProtocol

extension WorkerAgent {
    func send(_ message: Message) {
        transport.send(WireCodec.encode(message))
    }

    func sayHello() {
        send(.hello(Hello(worker: configuration.name, slots: configuration.slots, running: running.keys.sorted(),
                          host: configuration.host)))
    }

    func handle(_ frames: [Data]) {
        let message: Message
        do {
            message = try WireCodec.decode(frames)
        } catch {
            logger.warning("dropped a message that is not protocol v1", metadata: ["error": "\(error)"])
            return
        }
        lastHeard = clock.now
        switch message {
        case .welcome(let welcome):
            if !welcomed { onEvent(.joined(study: welcome.study)) }
            welcomed = true
            resendResults()
        case .trial(let assignment): start(assignment)
        case .decision(let decision):
            if decision.action == .prune { running[decision.trial]?.process.stop(.pruned) }
        case .ack(let ack): unacknowledged[ack.trial] = nil
        case .heartbeat: break
        case .bye(let bye):
            logger.info("coordinator said bye", metadata: ["reason": "\(bye.reason)"])
            done = true
            for trial in running.values { trial.process.stop(.shutdown) }
        case .hello, .report, .result:
            logger.warning("dropped a message only a worker sends", metadata: ["type": "\(message.type)"])
        }
    }

    func leave() {
        guard !done else { return }
        done = true
        for trial in running.values { trial.process.stop(.shutdown) }
        send(.bye(Bye(reason: "worker \(configuration.name) stopping")))
    }

    func tick() {
        let silence = clock.now - lastHeard
        if !welcomed || silence > configuration.heartbeatInterval * configuration.liveness {
            // The coordinator is not up yet, restarted, or unreachable: (re)join.
            welcomed = false
            sayHello()
        } else {
            send(.heartbeat(Heartbeat(running: running.keys.sorted(), worker: configuration.name, slots: configuration.slots,
                                      pendingResults: unacknowledged.keys.sorted())))
            resendResults()
        }
    }

    func resendResults() {
        for result in unacknowledged.values.sorted(by: { $0.trial < $1.trial }) { send(.result(result)) }
    }

    func start(_ assignment: TrialAssignment) {
        guard running[assignment.trial] == nil else { return }
        if unacknowledged[assignment.trial] != nil {
            // Already ran: the coordinator has not seen the result yet.
            resendResults()
            return
        }
        guard case .command(let template) = runner else { return }
        let process = TrialProcess(metric: assignment.metric)
        let used = Set(running.values.map(\.slot))
        let slot = (0...).first { !used.contains($0) } ?? 0
        running[assignment.trial] = Running(assignment: assignment, process: process, slot: slot)
        onEvent(.trialStarted(id: assignment.trial.rawValue, params: assignment.params.values
            .sorted { $0.key < $1.key }.map { "\($0.key)=\(TrialFormatting.format($0.value))" }.joined(separator: " ")))
        let id = assignment.trial
        let events = self.events
        process.start(
            arguments: template.arguments(for: assignment.params),
            environment: environment(trial: id, configuration: assignment.params, slot: slot),
            timeout: assignment.timeoutSeconds,
            onReport: { line in events?.yield(.report(id, line)) },
            onExit: { outcome in events?.yield(.exited(id, outcome)) })
    }

    /// The trial's variables, plus `SEXTANT_SLOT` and, with `--gpus`, the slot's `CUDA_VISIBLE_DEVICES`.
    func environment(trial: TrialID, configuration parameters: Configuration, slot: Int) -> [String: String] {
        var environment = CommandTemplate.environment(trial: trial, configuration: parameters)
        environment["SEXTANT_SLOT"] = String(slot)
        if let devices = WorkerConfiguration.visibleDevices(
            slot: slot, slots: configuration.slots, gpus: configuration.gpus)
        {
            environment["CUDA_VISIBLE_DEVICES"] = devices
        }
        return environment
    }

    func report(_ id: TrialID, _ line: MetricLine) {
        guard var trial = running[id] else { return }
        trial.reports += 1
        running[id] = trial
        send(.report(Report(trial: id, attempt: trial.assignment.attempt, step: line.step ?? trial.reports,
                            value: line.value)))
    }

    func finished(_ id: TrialID, _ outcome: ProcessOutcome) {
        guard let trial = running.removeValue(forKey: id) else { return }
        let result = Self.result(for: trial.assignment, outcome: outcome)
        onEvent(.trialEnded(id: id.rawValue, outcome: result.outcome.rawValue, value: result.value, reason: result.reason))
        if outcome.stopReason == .shutdown { return }
        unacknowledged[id] = result
        send(.result(result))
    }

    /// The RESULT a finished command stands for, following the worker contract.
    static func result(for assignment: TrialAssignment, outcome: ProcessOutcome) -> TrialResult {
        let last = outcome.reports.last
        let step = last.map { $0.step ?? outcome.reports.count }
        let tail = outcome.stderrTail.isEmpty ? nil : outcome.stderrTail
        func failed(_ reason: String) -> TrialResult {
            TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .failed,
                        value: nil, step: step, reason: reason, stderrTail: tail)
        }
        switch outcome.stopReason {
        case .pruned?:
            let value = outcome.reports.last(where: { $0.value.isFinite })?.value
            return TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .pruned,
                               value: value, step: step, reason: "pruned by the coordinator", stderrTail: nil)
        case .nonFiniteReport(let value)?:
            return failed("reported a non-finite value (\(value))")
        case .shutdown?:
            return failed("worker shut down")
        case nil:
            break
        }
        if let reason = outcome.failureReason, !reason.isEmpty {
            return failed(reason)
        }
        if outcome.timedOut {
            return failed("timed out after \(TrialFormatting.format(assignment.timeoutSeconds)) s")
        }
        switch outcome.ending {
        case .couldNotStart(let message):
            return failed(message)
        case .signaled(let signal):
            return failed("killed by signal \(signal) (\(String(cString: strsignal(signal))))")
        case .exited(let code) where code != 0:
            return failed("exited with status \(code)")
        case .exited:
            guard let last else {
                return failed("exited 0 without reporting \(assignment.metric) (print a line such as \(assignment.metric)=0.123)")
            }
            guard last.value.isFinite else { return failed("reported a non-finite value (\(last.value))") }
            return TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .completed,
                               value: last.value, step: step, reason: nil, stderrTail: nil)
        }
    }
}
