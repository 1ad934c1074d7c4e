import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Dashboard
import Storage
import TrialModel

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a study's progress, trials, workers and the best trial.",
        usage: "sextant status [--db <db>] [--study <study>] [--url <url>] [<options>]",
        discussion: """
            Example:
              sextant status --db sextant.db    # one table, read from the database
              sextant status --watch            # refreshed every 2 s until the study ends
              sextant status --json             # the same as export --format json
              sextant status --url http://127.0.0.1:8080 --watch
            The last reads a running coordinator's dashboard instead of the database, \
            and shows its connected workers too.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Read a running coordinator's dashboard at this URL instead of the database.")
    var url: String?

    @Option(help: "The dashboard's token, with --url (default: $SEXTANT_DASHBOARD_TOKEN).")
    var token: String?

    @Flag(help: "Print JSON for scripts.")
    var json = false

    @Flag(help: "Refresh until the study ends.")
    var watch = false

    @Option(help: "Rows to show (the most recent trials).")
    var limit: Int = 40

    func run() async throws {
        do {
            repeat {
                let view = try await load()
                if json {
                    Console.line(try view.jsonText())
                } else {
                    if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                    Console.line(Self.table(view, limit: watch ? min(limit, 15) : limit))
                }
                if !watch || view.state != "running" { break }
                try await Task.sleep(for: .seconds(2))
            } while true
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        } catch let error as StatusError {
            Console.error(error.description)
            throw ExitCode(1)
        }
    }

    func load() async throws -> StatusView {
        guard let url else { return try StatusView(export: StudyExport(options: database)) }
        return try await StatusView.fetch(
            base: url, token: token ?? ProcessInfo.processInfo.environment["SEXTANT_DASHBOARD_TOKEN"])
    }

    static func progressBar(_ fraction: Double, width: Int = 30) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        if total >= 60 { return "\(total / 60)m \(total % 60)s" }
        return "\(total)s"
    }

    static func table(_ view: StatusView, limit: Int) -> String {
        let spec = view.spec
        let trials = view.trials
        var counts: [String] = []
        for state in TrialState.allCases {
            let count = trials.count { $0.state == state }
            if count > 0 { counts.append("\(count) \(state.rawValue)") }
        }
        let finished = trials.count { $0.state.isFinished }
        let budget = max(spec.budget.trials, 1)
        var progress = "\(progressBar(Double(finished) / Double(budget))) \(finished)/\(spec.budget.trials) finished"
        if let eta = view.etaSeconds, view.state == "running" { progress += ", about \(duration(eta)) left" }
        var lines = [
            "study \(spec.name) (\(view.state)): \(finished)/\(spec.budget.trials) finished"
                + (counts.isEmpty ? "" : ", " + counts.joined(separator: ", ")),
            goals(spec) + ", optimizer \(spec.optimizer.kind.rawValue)",
            progress,
        ]
        let reported = spec.reportedNames.isEmpty ? [spec.metric.name] : spec.reportedNames
        let paretoFront = spec.isMultiObjective ? trials.paretoFront(in: spec) : []
        if spec.isMultiObjective {
            let front = paretoFront
            if !front.isEmpty {
                var text = "Pareto front: \(front.count) trial\(front.count == 1 ? "" : "s")"
                if let reference = spec.hypervolumeReference(trials),
                   let volume = trials.hypervolumeHistory(in: spec, reference: reference).last?.hypervolume {
                    text += ", hypervolume \(TrialFormatting.format(volume))"
                }
                lines.append(text)
                for trial in front.prefix(max(limit, 1)) {
                    lines.append("  #\(trial.id): \(TrialFormatting.values(trial, names: spec.objectives.map(\.name), spec: spec)) "
                        + TrialFormatting.describe(trial.configuration, in: spec.space))
                }
                if front.count > limit { lines.append("  (\(front.count - limit) more on the front; --limit N)") }
            }
        } else if let best = trials.best(in: spec), let value = spec.value(spec.metric.name, of: best) {
            lines.append("best so far #\(best.id): \(spec.metric.name)=\(TrialFormatting.format(value)) "
                + TrialFormatting.describe(best.configuration, in: spec.space))
        }
        lines.append("")
        let front = Set(paretoFront.map(\.id))
        let header = ["id", "state"] + reported + ["step", "try", "worker", "secs", "params"]
        var rows: [[String]] = []
        for trial in trials.suffix(max(limit, 1)) {
            let seconds = trial.startedAt.map { start in
                String(format: "%.1f", (trial.finishedAt ?? Date()).timeIntervalSince(start))
            } ?? ""
            var params = TrialFormatting.describe(trial.configuration, in: spec.space)
            if let reason = trial.reason, trial.state == .failed || trial.state == .pruned { params += "  [\(reason)]" }
            var state = trial.state.rawValue
            if front.contains(trial.id) { state += " *" }
            if !spec.bounds.isEmpty, trial.state == .completed, !spec.isFeasible(trial) { state += " (infeasible)" }
            let values = reported.map { name in
                (trial.state == .completed || name == spec.metric.name ? spec.value(name, of: trial) : nil).map(TrialFormatting.format) ?? "-"
            }
            rows.append(["\(trial.id)", state] + values + [
                trial.step.map(String.init) ?? "-", "\(trial.attempt)", trial.worker ?? "-", seconds, params,
            ])
        }
        lines.append(contentsOf: render([header] + rows))
        if !front.isEmpty { lines.append("(* on the Pareto front)") }
        if trials.count > rows.count { lines.append("(\(trials.count - rows.count) earlier trials not shown; --limit N)") }
        for trial in trials.suffix(max(limit, 1)) {
            for earlier in view.earlierAttempts[trial.id] ?? [] {
                var text = "trial \(trial.id) attempt \(earlier.attempt): \(earlier.state.rawValue)"
                if let value = earlier.value { text += " \(spec.metric.name)=\(TrialFormatting.format(value))" }
                if let step = earlier.step { text += " at step \(step)" }
                if let worker = earlier.worker { text += " on \(worker)" }
                if let reason = earlier.reason { text += " [\(reason)]" }
                lines.append(text)
            }
        }
        lines.append("")
        if let workers = view.workers {
            if workers.isEmpty {
                lines.append("no worker connected")
            } else {
                var workerRows = [["worker", "host", "slots", "running", "heartbeat"]]
                for worker in workers {
                    workerRows.append([
                        worker.name, worker.host ?? "-", "\(worker.slots)",
                        worker.running.isEmpty ? "idle" : worker.running.map { "#\($0)" }.joined(separator: " "),
                        String(format: "%.1f s ago", worker.secondsSinceHeartbeat),
                    ])
                }
                lines.append(contentsOf: render(workerRows))
            }
        } else {
            let running = Dictionary(grouping: trials.filter { $0.state == .running }, by: { $0.worker ?? "-" })
            if !running.isEmpty {
                lines.append("running on: " + running.keys.sorted().map { name in
                    "\(name) (" + running[name]!.map { "#\($0.id)" }.joined(separator: " ") + ")"
                }.joined(separator: ", ") + "  (connected workers: status --url)")
            }
        }
        if !trials.contains(where: { $0.state == .completed }) { lines.append("no trial completed yet") }
        return lines.joined(separator: "\n")
    }

    /// `metric val_loss (minimize)`, or every objective and constraint.
    static func goals(_ spec: StudySpec) -> String {
        let objectives: [String] = spec.objectives.map { "\($0.name) (\($0.goal.rawValue))" }
        var text: String = (spec.isMultiObjective ? "objectives " : "metric ") + objectives.joined(separator: ", ")
        if !spec.bounds.isEmpty {
            let bounds: [String] = spec.bounds.map(\.description)
            text += ", constraints " + bounds.joined(separator: ", ")
        }
        return text
    }

    static func render(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

struct StatusError: Error, CustomStringConvertible {
    var description: String
}

/// What `status` shows, read from a database or from a coordinator's `/api`.
struct StatusView {
    struct Worker {
        var name: String
        var host: String?
        var slots: Int
        var running: [Int64]
        var secondsSinceHeartbeat: Double
    }

    var spec: StudySpec
    var state: String
    var trials: [Trial]
    /// Attempts before a rerun, by trial; empty when read from a dashboard.
    var earlierAttempts: [TrialID: [TrialAttempt]] = [:]
    /// Connected workers; nil when read from a database.
    var workers: [Worker]?
    var etaSeconds: Double?
    /// The `--json` output, built only when asked for.
    var jsonText: () throws -> String

    init(export: StudyExport) throws {
        spec = export.spec
        state = export.study.state.rawValue
        trials = export.trials
        earlierAttempts = export.earlierAttempts
        workers = nil
        etaSeconds = nil
        jsonText = { try export.jsonText() }
    }

    static func fetch(base: String, token: String?) async throws -> StatusView {
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        func get(_ path: String) async throws -> Data {
            guard let url = URL(string: root + path) else { throw StatusError(description: "not a URL: \(base)") }
            var request = URLRequest(url: url, timeoutInterval: 10)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let data: Data, response: URLResponse
            do {
                (data, response) = try await URLSession.shared.data(for: request)
            } catch {
                throw StatusError(description: "cannot reach the dashboard at \(root): \(error.localizedDescription)")
            }
            let code = (response as? HTTPURLResponse)?.statusCode ?? 0
            if code == 401 {
                throw StatusError(description: "\(root) needs the dashboard token: --token TOKEN or SEXTANT_DASHBOARD_TOKEN")
            }
            guard code == 200 else { throw StatusError(description: "\(root)\(path) answered HTTP \(code)") }
            return data
        }
        let (studyData, trialData, workerData) = (try await get("/api/study"), try await get("/api/trials"),
                                                  try await get("/api/workers"))
        let decoder = StudyDocument.decoder()
        var study: StudyOverview, trials: [TrialEntry], workers: [WorkerEntry]
        do {
            study = try decoder.decode(StudyOverview.self, from: studyData)
            trials = try decoder.decode([TrialEntry].self, from: trialData)
            workers = try decoder.decode([WorkerEntry].self, from: workerData)
        } catch {
            throw StatusError(description: "\(root)/api does not look like a Sextant dashboard: \(error)")
        }
        guard let spec = study.spec else {
            throw StatusError(description: "\(root)/api/study does not say what the study file holds (no spec)")
        }
        // `--json` shows what the API answered, less the study file.
        study.spec = nil
        let document = URLDocument(study: study, trials: trials, workers: workers)
        return StatusView(
            spec: spec, state: study.summary.state, trials: trials.map(\.trial),
            workers: workers.map {
                Worker(name: $0.name, host: $0.host, slots: $0.slots, running: $0.running,
                       secondsSinceHeartbeat: $0.lastHeartbeatSeconds)
            },
            etaSeconds: study.etaSeconds,
            jsonText: { String(decoding: try StudyDocument.encoder(pretty: true).encode(document), as: UTF8.self) })
    }

    /// The `--json` document with `--url`: the dashboard's three answers in one object.
    struct URLDocument: Encodable {
        var study: StudyOverview
        var trials: [TrialEntry]
        var workers: [WorkerEntry]
    }

    init(spec: StudySpec, state: String, trials: [Trial], workers: [Worker]?, etaSeconds: Double?,
         jsonText: @escaping () throws -> String) {
        self.spec = spec; self.state = state; self.trials = trials; self.workers = workers
        self.etaSeconds = etaSeconds; self.jsonText = jsonText
    }
}
