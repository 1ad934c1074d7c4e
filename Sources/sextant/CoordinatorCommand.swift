import ArgumentParser
import Coordinator
import Dashboard
import Foundation
import Logging
import Pruning
import Samplers
import Storage
import TrialModel
import ZeroMQ
import ZeroMQTransport

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a study: hand trials to workers until the budget is spent.",
        usage: "sextant coordinator <study-file> [--bind <bind>] [--db <db>] [<options>]",
        discussion: """
            Example:
              sextant coordinator study.yaml --bind tcp://0.0.0.0:5555 --db sextant.db
            Restarting with the same database resumes the study. One coordinator runs a \
            study: a second one on the same database and study exits with status 1 and \
            names the process that holds it (docs/operations.md).

            --warm-start old.db (or old.db:STUDY) gives the optimizer the completed trials \
            of an earlier study that fit this one's space, without storing them here.

            Exit status: 0 when the budget is spent, 2 for a bad study file or warm start, 3 when \
            budget.max_failures trials failed, 1 for any other error.
            """
    )

    @Argument(help: "Study file (YAML or JSON).")
    var studyFile: String

    @Option(help: "Endpoint workers connect to.")
    var bind: String = "tcp://0.0.0.0:5555"

    @Option(help: "Study database file (created if missing).")
    var db: String = "sextant.db"

    @Option(help: "Dashboard address HOST:PORT, default 127.0.0.1:8080 (port 0 picks a free one).")
    var dashboard: String?

    @Flag(help: "Do not serve the dashboard.")
    var noDashboard = false

    @Option(help: ArgumentHelp(
        "Token the dashboard requires (default: $SEXTANT_DASHBOARD_TOKEN; generated when bound beyond loopback).",
        valueName: "TOKEN"))
    var dashboardToken: String?

    @OptionGroup(title: "Encryption") var curveOptions: CurveOptions<WorkerKeys>

    @Option(help: ArgumentHelp(
        "Give the optimizer the completed trials of another study that fit this one's space (not stored here; give it again on resume).",
        valueName: "OLD.db[:STUDY]"))
    var warmStart: String?

    @Option(help: "Seconds running trials may still finish after SIGTERM or Ctrl-C.")
    var shutdownGrace: Double = 30

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let dashboard, Self.hostAndPort(dashboard) == nil {
            throw ValidationError("--dashboard takes HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080, not '\(dashboard)'")
        }
        if noDashboard && (dashboard != nil || dashboardToken != nil) {
            throw ValidationError("--no-dashboard goes with neither --dashboard nor --dashboard-token")
        }
    }

    /// `HOST:PORT` split, brackets removed from an IPv6 host; nil when malformed.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    /// 24 random bytes as 48 hex digits: safe in a URL, a shell and a command line. (URL-safe
    /// base64 began with "-" one time in 64, and `--token -…` then read as a missing value.)
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Starts the dashboard, or returns nil with `--no-dashboard`. When the default address is
    /// taken (another coordinator on this machine), the study runs without a dashboard.
    func startDashboard(source: any DashboardSource, logger: Logger) async throws -> DashboardServer? {
        guard !noDashboard, let (host, port) = Self.hostAndPort(dashboard ?? "127.0.0.1:8080") else { return nil }
        let token = Self.dashboardToken(dashboardToken, host: host)
        let server: DashboardServer
        do {
            server = try await DashboardServer.start(host: host, port: port, token: token, source: source, logger: logger)
        } catch {
            guard dashboard == nil else {
                Console.error("\(error); choose another with --dashboard HOST:PORT or use --no-dashboard")
                throw ExitCode(1)
            }
            Console.error("\(error); running without a dashboard (--dashboard HOST:PORT picks another address)")
            return nil
        }
        Console.line("dashboard \(Self.dashboardURL(host: host, port: server.port, token: token))")
        return server
    }

    /// The token a dashboard bound on `host` requires: the one given, else `$SEXTANT_DASHBOARD_TOKEN`,
    /// else a new one when `host` is beyond loopback; nil for none.
    static func dashboardToken(_ given: String?, host: String) -> String? {
        var token = given ?? ProcessInfo.processInfo.environment["SEXTANT_DASHBOARD_TOKEN"]
        if token?.isEmpty ?? false { token = nil }
        if token == nil && !isLoopbackHost(host) { token = newToken() }
        return token
    }

    /// The address to open a dashboard at, with its token; `HOST` stands for a wildcard host.
    static func dashboardURL(host: String, port: Int, token: String?) -> String {
        let shownHost = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "HOST" : host)
        return "http://\(shownHost):\(port)/" + (token.map { "?token=\($0)" } ?? "")
    }

    /// Whether `endpoint` listens only on this machine.
    static func isLoopback(_ endpoint: String) -> Bool {
        ["tcp://127.", "tcp://localhost:", "tcp://[::1]:", "ipc://", "inproc://"].contains { endpoint.hasPrefix($0) }
    }

    func run() async throws {
        Console.bootstrapLogging(logging)
        let logger = Logger(label: "sextant.coordinator")
        let spec = try Console.studyFile(studyFile)
        let sampler: any Sampler
        let curves = spec.fidelity.map { CurveModel(fidelity: $0, seed: spec.optimizer.seed) }
        do {
            sampler = try makeSampler(for: spec, curves: curves)
        } catch {
            Console.error("\(studyFile): optimizer: \(error)")
            throw ExitCode(2)
        }
        let warm = try loadWarmStart(for: spec, logger: logger)
        // One coordinator per study: taken before anything is written, held until this returns.
        let lock: StudyLock
        do {
            lock = try StudyLock.acquire(database: db, study: spec.name)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        defer { lock.release() }
        let store: SQLiteTrialStore
        let study: StudyRecord
        do {
            store = try SQLiteTrialStore(path: db)
            study = try store.open(spec, at: Date())
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        }
        // Every connected worker holds a file descriptor: allow more than the usual 1,024.
        Context.raiseFileLimit()
        let context = try Context()
        var curve: CurveKeyPair?
        var zap: ZAPHandler?
        if let curveSecretKey = curveOptions.curveSecretKey, let authorizedKeys = curveOptions.peerKeys {
            let keys = try CurveKeys.keyPair(secretFile: curveSecretKey)
            let allowed = try CurveKeys.authorized(in: authorizedKeys)
            zap = try ZAPHandler(context: context, allowedKeys: allowed) { key, address, admitted in
                if !admitted {
                    Console.line("\(Console.timestamp()) rejected a worker from \(address): "
                        + (key.isEmpty ? "no CURVE key" : "key \(key.prefix(8))... is not in \(authorizedKeys)"))
                }
            }
            curve = keys
        } else if !Self.isLoopback(bind) {
            let warning = "WARNING: \(bind) accepts workers from the network without encryption or authentication:\n"
                + "anyone who reaches it can read configurations and send results. Use --curve-secret-key and\n"
                + "--authorized-keys (see sextant keygen and docs/security.md), or bind 127.0.0.1.\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
        defer { zap?.stop() }
        let transport: ZeroMQRouterTransport
        do {
            transport = try ZeroMQRouterTransport(context: context, endpoint: bind, curve: curve)
        } catch {
            Console.error("cannot listen on \(bind): \(error)")
            throw ExitCode(1)
        }
        let previous = try store.trials(in: study.id).count { $0.state.isFinished }
        Console.line("study \(spec.name): \(spec.budget.trials) trials, optimizer \(spec.optimizer.kind.rawValue), "
            + "metric \(spec.metric.name) (\(spec.metric.goal.rawValue))")
        if let fidelity = spec.fidelity {
            Console.line("fidelity: \(fidelity.maxSteps) steps; "
                + (fidelity.stopProbability > 0
                    ? "the curve model stops a trial from step \(fidelity.minSteps) when it gives it under "
                        + "\(TrialFormatting.format(fidelity.stopProbability * 100))% chance of beating the best"
                        + (fidelity.stopRatio > 0
                            ? " and its reports have cut that chance below \(TrialFormatting.format(fidelity.stopRatio))"
                                + " times what was expected of it" : "")
                    : "model-based stopping off"))
        }
        if previous > 0 { Console.line("resuming: \(previous) trials already finished") }

        var configuration = CoordinatorConfiguration()
        configuration.shutdownGrace = .milliseconds(Int(shutdownGrace * 1000))
        let coordinator = StudyCoordinator(
            study: study, store: store, sampler: sampler, warmStart: warm?.trials ?? [], pruner: makePruner(for: spec.pruner),
            curves: curves, transport: transport,
            configuration: configuration, logger: logger, onEvent: Self.show)
        let dashboardServer = try await startDashboard(
            source: LiveStudySource(store: store, study: study, coordinator: coordinator), logger: logger)
        defer { dashboardServer?.stop() }
        let grace = shutdownGrace
        let signals = Signals.onTerminate {
            Console.line("stopping: no new trials; running trials have \(TrialFormatting.format(grace)) s to finish")
            coordinator.shutdown()
        }
        defer { signals.cancel() }
        // Ready: from this line on, SIGTERM or SIGINT stops the study cleanly.
        Console.line("workers connect to \(bind); database \(db)")
        let end: StudyEnd
        do {
            end = try await coordinator.run()
        } catch {
            transport.close()
            Console.error("study stopped: \(error)")
            throw ExitCode(1)
        }
        // Let the BYEs leave before the socket closes.
        try await Task.sleep(for: configuration.byeGrace)
        transport.close()

        let trials = try store.trials(in: study.id)
        switch end {
        case .budgetSpent: Console.line("study finished: \(trials.count { $0.state.isFinished }) trials")
        case .timeBudgetSpent: Console.line("study stopped: budget.max_seconds reached")
        case .tooManyFailures(let count): Console.line("study stopped: \(count) trials failed (budget.max_failures)")
        case .interrupted:
            Console.line("study interrupted: \(trials.count { $0.state.isFinished }) of \(spec.budget.trials) trials finished; "
                + "run the same command again to resume")
        }
        for line in Self.outcome(of: trials, spec: spec) { Console.line(line) }
        if case .tooManyFailures = end { throw ExitCode(3) }
    }

    /// The study's result: its best trial, or with several objectives its Pareto front.
    static func outcome(of trials: [Trial], spec: StudySpec) -> [String] {
        if spec.isMultiObjective {
            let front = trials.paretoFront(in: spec)
            guard !front.isEmpty else {
                return [trials.contains { $0.state == .completed } ? "no completed trial meets the constraints" : "no trial completed"]
            }
            var lines = ["Pareto front: \(front.count) trial\(front.count == 1 ? "" : "s") (" + spec.objectives.map {
                "\($0.name) \($0.goal.rawValue)"
            }.joined(separator: ", ") + ")"]
            for trial in front {
                lines.append("  #\(trial.id): \(TrialFormatting.values(trial, names: spec.objectives.map(\.name), spec: spec)) "
                    + TrialFormatting.describe(trial.configuration, in: spec.space))
            }
            return lines
        }
        let name = spec.objectives[0].name
        guard let best = trials.best(in: spec), let value = spec.value(name, of: best) else {
            return [!spec.bounds.isEmpty && trials.contains { $0.state == .completed }
                ? "no completed trial meets the constraints" : "no trial completed"]
        }
        return ["best trial #\(best.id): \(name)=\(TrialFormatting.format(value)) "
            + TrialFormatting.describe(best.configuration, in: spec.space)]
    }

    @Sendable static func show(_ event: StudyEvent) {
        let time = Console.timestamp()
        switch event {
        case .workerJoined(let name, let slots):
            Console.line("\(time) worker \(name) joined (\(slots) slot\(slots == 1 ? "" : "s"))")
        case .workerLost(let name, let requeued):
            Console.line("\(time) worker \(name) lost; \(requeued) trial(s) requeued")
        case .workerLeft(let name):
            Console.line("\(time) worker \(name) left")
        case .trialStarted(let id, let worker, let params):
            Console.line("\(time) trial \(id) started on \(worker): \(params)")
        case .trialFinished(let summary):
            var text = "\(time) trial \(summary.id) \(summary.state.rawValue)"
            if !summary.values.isEmpty {
                text += " " + summary.values.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\(TrialFormatting.format($0.value))" }.joined(separator: " ")
                if summary.feasible == false { text += " (infeasible)" }
            } else if let value = summary.value {
                text += " \(TrialFormatting.format(value))"
            }
            if let reason = summary.reason, summary.state != .completed { text += " (\(reason))" }
            text += " [\(summary.finished)/\(summary.budget)]"
            if let size = summary.frontSize {
                text += " front: \(size) trial\(size == 1 ? "" : "s")"
            } else if let id = summary.bestID, let value = summary.bestValue {
                text += " best #\(id) \(TrialFormatting.format(value))"
            }
            Console.line(text)
        }
    }
}
