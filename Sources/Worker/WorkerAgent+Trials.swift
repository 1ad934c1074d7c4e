import Foundation
import Logging
import Timekeeping
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
        lastHeard = timekeeper.now
        switch message {
        case .welcome(let welcome):
            if !welcomed {
                logger.info("joined the study", metadata: ["study": "\(welcome.study)"])
                onEvent(.joined(study: welcome.study))
            }
            welcomed = true
            // A WELCOME answers a join: to a coordinator that may have restarted, and lost what
            // was sent meanwhile.
            for id in running.keys.sorted() { resendReports(of: id) }
            resendResults()
        case .trial(let assignment): start(assignment)
        case .decision(let decision):
            unanswered[decision.trial]?.removeAll { $0.step <= decision.step }
            decide(decision)
        case .ack(let ack):
            unacknowledged[ack.trial] = nil
            unanswered[ack.trial] = nil
        case .heartbeat: break
        case .bye(let bye):
            logger.info("coordinator said bye", metadata: ["reason": "\(bye.reason)"])
            done = true
            for trial in running.values { trial.process.stop(.shutdown) }
        case .hello, .report, .result:
            logger.warning("dropped a message only a worker sends", metadata: ["type": "\(message.type)"])
        }
    }

    /// Applies a prune decision to the command it was made for. A decision for a step older
    /// than the command's latest report (sent, read, or still in the pipe) is stale: the
    /// coordinator decides again on the newer report. One for a command that has ended changes
    /// nothing. See docs/protocol.md.
    func decide(_ decision: Decision) {
        guard decision.action == .prune, let trial = running[decision.trial] else { return }
        guard trial.process.stop(.pruned, atStep: decision.step) else {
            logger.debug("ignored a prune decision that came too late", metadata: [
                "trial": "\(decision.trial)", "step": "\(decision.step)"])
            return
        }
    }

    func leave() {
        guard !done else { return }
        done = true
        for trial in running.values { trial.process.stop(.shutdown) }
        send(.bye(Bye(reason: "worker \(configuration.name) stopping")))
    }

    func tick() {
        let silence = timekeeper.now - lastHeard
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

    /// The trial's reports no DECISION answered, in the order they were made.
    func resendReports(of id: TrialID) {
        for report in unanswered[id] ?? [] { send(.report(report)) }
    }

    /// Each RESULT not acknowledged, after its trial's unanswered reports: a coordinator stores a
    /// trial's reports only while it runs.
    func resendResults() {
        for result in unacknowledged.values.sorted(by: { $0.trial < $1.trial }) {
            resendReports(of: result.trial)
            send(.result(result))
        }
    }

    func start(_ assignment: TrialAssignment) {
        guard running[assignment.trial] == nil else { return }
        if unacknowledged[assignment.trial] != nil {
            // Already ran: the coordinator has not seen the result yet.
            resendResults()
            return
        }
        guard case .command(let template) = runner else { return }
        let process = TrialProcess(metric: assignment.metric, values: assignment.values)
        let used = Set(running.values.map(\.slot))
        let slot = (0...).first { !used.contains($0) } ?? 0
        let id = assignment.trial
        let events = self.events
        var deadline: Task<Void, Never>?
        if assignment.timeoutSeconds > 0 {
            let timekeeper = self.timekeeper
            let attempt = assignment.attempt
            deadline = Task {
                guard (try? await timekeeper.sleep(for: .seconds(assignment.timeoutSeconds))) != nil else { return }
                events?.yield(.timedOut(id, attempt: attempt))
            }
        }
        running[assignment.trial] = Running(assignment: assignment, process: process, slot: slot, deadline: deadline)
        onEvent(.trialStarted(id: assignment.trial, params: assignment.params.values
            .sorted { $0.key < $1.key }.map { "\($0.key)=\(TrialFormatting.format($0.value))" }.joined(separator: " ")))
        process.start(
            arguments: template.arguments(for: assignment.params, inactive: assignment.inactive, maxSteps: assignment.maxSteps),
            environment: environment(trial: id, configuration: assignment.params, slot: slot, maxSteps: assignment.maxSteps),
            onReport: { line in events?.yield(.report(id, line)) },
            onExit: { outcome in events?.yield(.exited(id, outcome)) })
    }

    /// The trial's variables, plus `SEXTANT_SLOT` and, with `--gpus`, the slot's `CUDA_VISIBLE_DEVICES`.
    func environment(trial: TrialID, configuration parameters: Configuration, slot: Int, maxSteps: Int? = nil) -> [String: String] {
        var environment = CommandTemplate.environment(trial: trial, configuration: parameters, maxSteps: maxSteps)
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
        let step = line.step ?? trial.reports
        running[id] = trial
        let report = Report(trial: id, attempt: trial.assignment.attempt, step: step, value: line.value)
        if unanswered[id, default: []].count >= Self.maxUnanswered { unanswered[id]!.removeFirst() }
        unanswered[id, default: []].append(report)
        send(.report(report))
    }

    func finished(_ id: TrialID, _ outcome: ProcessOutcome) {
        guard let trial = running.removeValue(forKey: id) else { return }
        trial.deadline?.cancel()
        let result = Self.result(for: trial.assignment, outcome: outcome)
        onEvent(.trialEnded(id: id, outcome: result.outcome, value: result.value, reason: result.reason))
        if outcome.stopReason == .shutdown { unanswered[id] = nil; return }
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
        if let bad = outcome.reports.first(where: { !$0.value.isFinite }) {
            return failed("reported a non-finite value (\(bad.value))")
        }
        switch outcome.stopReason {
        case .pruned?:
            let value = outcome.reports.last?.value
            return TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .pruned,
                               value: value, step: step, reason: "pruned by the coordinator", stderrTail: nil)
        case .timedOut?:
            return failed("timed out after \(TrialFormatting.format(assignment.timeoutSeconds)) s")
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
            guard !assignment.values.isEmpty else {
                return TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .completed,
                                   value: last.value, step: step, reason: nil, stderrTail: nil)
            }
            // A study with several objectives or constraints needs each of them from every trial.
            var values = outcome.values
            values[assignment.metric] = last.value
            let missing = assignment.values.filter { values[$0] == nil }
            if !missing.isEmpty {
                let example = missing.map { "\($0)=..." }.joined(separator: " ")
                return failed("exited 0 without reporting \(missing.joined(separator: ", ")) (print a line such as \(example))")
            }
            if let bad = assignment.values.first(where: { !(values[$0]?.isFinite ?? false) }) {
                return failed("reported a non-finite \(bad) (\(values[bad]!))")
            }
            return TrialResult(trial: assignment.trial, attempt: assignment.attempt, outcome: .completed,
                               value: last.value, step: step, reason: nil, stderrTail: nil,
                               values: values.filter { assignment.values.contains($0.key) })
        }
    }
}
