import Foundation
import Glibc
import Synchronization

/// How a training command ended.
struct ProcessOutcome: Sendable {
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        case couldNotStart(String)
    }
    var ending: Ending
    /// Reports in the order they appeared.
    var reports: [MetricLine]
    var stderrTail: String
    /// Set when the worker stopped the command while it ran (pruned, timed out, non-finite
    /// report, shutdown); nil when the command had ended on its own before any stop.
    var stopReason: StopReason?
    /// The reason the command gave in a `failed: REASON` line, if any.
    var failureReason: String? = nil
    /// The last value the command printed for each of the other names it was asked for.
    var values: [String: Double] = [:]
}

/// Why the worker stopped a command before it exited by itself.
enum StopReason: Sendable, Equatable {
    case pruned
    case timedOut
    case nonFiniteReport(Double)
    case shutdown
}

/// One run of a training command in its own process group.
///
/// Written on `posix_spawn` rather than Foundation's `Process` or swift-subprocess
/// because the worker needs, together: a new process group (so a timeout or prune can
/// signal the whole tree), SIGTERM then SIGKILL to that group, and stdout streamed line
/// by line while the command runs. Reader and waiter threads block in `read`/`waitpid`
/// and never touch Swift concurrency.
final class TrialProcess: Sendable {
    /// Seconds between SIGTERM and SIGKILL when stopping a command (1-30 s is sensible).
    static let killGrace: Double = 3
    /// Bytes of stderr kept for the trial record.
    static let stderrTailBytes = 4096

    private struct State {
        var pid: pid_t = 0
        var exited = false
        /// The read end of the command's stdout while it is open; -1 after.
        var stdoutReader: Int32 = -1
        var stopReason: StopReason?
        var reports: [MetricLine] = []
        var failureReason: String?
        var values: [String: Double] = [:]
        var stderrTail = Data()
    }

    private let state = Mutex(State())
    private let metric: String
    /// Other names whose last printed value the outcome keeps (a study's further objectives and
    /// constrained values).
    private let valueNames: Set<String>

    init(metric: String, values: [String] = []) {
        self.metric = metric
        self.valueNames = Set(values).subtracting([metric])
    }

    /// Starts `arguments` with `environment` added to the worker's own; calls `onReport` for
    /// each metric line and `onExit` once, after the process and its pipes are done.
    func start(
        arguments: [String], environment extra: [String: String],
        onReport: @escaping @Sendable (MetricLine) -> Void,
        onExit: @escaping @Sendable (ProcessOutcome) -> Void
    ) {
        var stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard !arguments.isEmpty, Self.makePipe(&stdoutPipe), Self.makePipe(&stderrPipe) else {
            onExit(ProcessOutcome(ending: .couldNotStart(arguments.isEmpty ? "empty command" : "pipe failed"),
                                  reports: [], stderrTail: ""))
            return
        }
        // A trial's parameters come from its assignment alone: SEXTANT_PARAM_* variables the
        // worker itself inherited are dropped, so an inactive parameter's variable is unset.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SEXTANT_PARAM_") && $0.key != "SEXTANT_MAX_STEPS" }
        environment.merge(extra) { _, new in new }
        let spawned = Self.spawn(arguments, environment: environment, stdout: stdoutPipe[1], stderr: stderrPipe[1])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        let pid: pid_t
        switch spawned {
        case .failure(let message):
            close(stdoutPipe[0]); close(stderrPipe[0])
            onExit(ProcessOutcome(ending: .couldNotStart(message), reports: [], stderrTail: ""))
            return
        case .success(let value):
            pid = value
        }
        let stdoutReader = stdoutPipe[0], stderrReader = stderrPipe[0]
        state.withLock { $0.pid = pid; $0.stdoutReader = stdoutReader }

        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread { [self] in
            readLines(stdoutReader, onReport: onReport)
            state.withLock { $0.stdoutReader = -1 }
            close(stdoutReader)
            group.leave()
        }
        group.enter()
        Thread.detachNewThread { [self] in
            readTail(stderrReader)
            close(stderrReader)
            group.leave()
        }
        let ending = Mutex<ProcessOutcome.Ending>(.exited(0))
        group.enter()
        Thread.detachNewThread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let code = status & 0x7f
            ending.withLock { $0 = code == 0 ? .exited((status >> 8) & 0xff) : .signaled(code) }
            state.withLock { $0.exited = true }
            // Children left behind would hold the pipes open and block the readers: end them.
            kill(-pid, SIGKILL)
            group.leave()
        }
        group.notify(queue: .global()) { [self] in
            let final = state.withLock { $0 }
            onExit(ProcessOutcome(
                ending: ending.withLock { $0 }, reports: final.reports,
                stderrTail: String(decoding: final.stderrTail, as: UTF8.self),
                stopReason: final.stopReason, failureReason: final.failureReason, values: final.values))
        }
    }

    /// A pipe whose ends are closed in spawned children (they get copies on fds 1 and 2 only).
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Stops the command: SIGTERM to its process group, SIGKILL after `killGrace` seconds.
    /// A command that has already ended (reaped, or a zombie not reaped yet) is left alone and
    /// keeps the outcome it earned on its own: a stop that comes too late changes nothing.
    ///
    /// With `atStep`, the stop is a decision about that step and applies only while it is the
    /// command's latest: not when the command has reported a later step, nor when output it
    /// wrote is still waiting in the pipe. Returns whether the command is being stopped.
    @discardableResult
    func stop(_ reason: StopReason, atStep step: Int? = nil) -> Bool {
        let first = state.withLock { state -> Bool in
            guard state.stopReason == nil, !state.exited, state.pid > 0, !Self.hasEnded(state.pid) else { return false }
            if let step {
                let latest = state.reports.indices.map { state.reports[$0].step ?? $0 + 1 }.max() ?? 0
                guard latest <= step, !Self.hasUnreadBytes(state.stdoutReader) else { return false }
            }
            state.stopReason = reason
            return true
        }
        if first { terminate() }
        return first
    }

    /// True when the pipe `fd` holds bytes nobody has read yet.
    private static func hasUnreadBytes(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 && count > 0
    }

    /// The command's process id (its process group's too); 0 before it started.
    var pid: pid_t { state.withLock { $0.pid } }

    /// True when `pid` has exited, whether or not it was reaped yet; does not reap it.
    static func hasEnded(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 { return true }
        // With WNOHANG, a child still running leaves the pid field zero.
        return info._sifields._sigchld.si_pid == pid
    }

    private func terminate() {
        let pid = state.withLock { $0.pid }
        guard pid > 0 else { return }
        kill(-pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.killGrace) { [self] in
            if !state.withLock({ $0.exited }) { kill(-pid, SIGKILL) }
        }
    }

    private func readLines(_ fd: Int32, onReport: @Sendable (MetricLine) -> Void) {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        // All lines of one read are recorded before any is passed on, so whoever sees a report
        // (and gets a decision about it back) finds every report read with it already recorded.
        func emit(_ lines: [Data]) {
            var reports: [MetricLine] = []
            var failure: String?
            var values: [String: Double] = [:]
            for lineData in lines {
                let line = String(decoding: lineData, as: UTF8.self)
                if line.hasPrefix("failed:") {
                    failure = String(line.dropFirst("failed:".count).trimmingCharacters(in: .whitespaces).prefix(500))
                    continue
                }
                let read = MetricLine.read(line, metric: metric, others: valueNames)
                if let report = read.report { reports.append(report) }
                values.merge(read.values) { $1 }
            }
            state.withLock { state in
                state.reports.append(contentsOf: reports)
                if let failure { state.failureReason = failure }
                state.values.merge(values) { $1 }
            }
            for report in reports {
                if report.value.isFinite {
                    onReport(report)
                } else {
                    stop(.nonFiniteReport(report.value))
                }
            }
        }
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: buffer[0..<count])
            var lines: [Data] = []
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
            emit(lines)
            // A runaway line without newline is cut, not buffered forever.
            if pending.count > 1 << 20 { pending.removeAll() }
        }
        if !pending.isEmpty { emit([pending]) }
    }

    private func readTail(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            state.withLock { state in
                state.stderrTail.append(contentsOf: buffer[0..<count])
                if state.stderrTail.count > Self.stderrTailBytes {
                    state.stderrTail.removeFirst(state.stderrTail.count - Self.stderrTailBytes)
                }
            }
        }
    }
}
