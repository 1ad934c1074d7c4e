import ArgumentParser
import Dashboard
import Foundation
import Storage
import Trainers
import TrialModel
import ZeroMQ

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Tune the built-in digits network with a local coordinator and two workers.",
        usage: "sextant demo [--study <study>] [--directory <directory>] [--workers <n>]",
        discussion: """
            Example (from the repository root):
              sextant demo
            Starts a coordinator on docs/examples/mlp-digits.yaml and two workers \
            running the built-in mlp-digits trainer, shows progress, and prints the best \
            configuration at the end. The study database, the logs and a plot \
            (trials.svg) go to .demo/; sextant dashboard --db .demo/demo.db shows \
            the study again.
            """
    )

    @Option(help: "Study file.")
    var study: String = "docs/examples/mlp-digits.yaml"

    @Option(help: "Directory for the database and logs (emptied first).")
    var directory: String = ".demo"

    @Option(help: "Local workers to start.")
    var workers: Int = 2

    func validate() throws {
        guard FileManager.default.fileExists(atPath: study) else {
            throw ValidationError("no study file at \(study); run from the repository root or pass --study")
        }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
    }

    func run() async throws {
        let spec = try Console.studyFile(study)
        let folder = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let db = folder.appendingPathComponent("demo.db").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        guard let port = freeLoopbackPort() else { throw ValidationError("no free local port") }
        let endpoint = "tcp://127.0.0.1:\(port)"
        let binary = WorkerCommand.executablePath
        let started = Date()

        let coordinator = try Self.launch(binary, ["coordinator", study, "--bind", endpoint, "--db", db],
                                          log: folder.appendingPathComponent("coordinator.log"))
        var children = [coordinator]
        for index in 1...workers {
            children.append(try Self.launch(binary, ["worker", endpoint, "--name", "demo-worker-\(index)", "--builtin", "mlp-digits"],
                                            log: folder.appendingPathComponent("worker-\(index).log")))
        }
        Console.line("tuning \(spec.name): \(spec.budget.trials) trials, \(workers) local workers, optimizer \(spec.optimizer.kind.rawValue)")
        Console.line("parameters: " + spec.space.parameters.map(\.name).joined(separator: ", "))
        let coordinatorLog = folder.appendingPathComponent("coordinator.log")
        for _ in 0..<40 where coordinator.isRunning {
            let log = (try? String(contentsOf: coordinatorLog, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("dashboard http") }) {
                Console.line("live dashboard: \(line.dropFirst("dashboard ".count)) (open it in a browser while the demo runs)")
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let progress = DemoProgress(spec: spec, interactive: isatty(1) == 1)
        func showProgress() {
            if let store = try? SQLiteTrialStore(readingAt: db), let record = try? store.latestStudy(),
               let trials = try? store.trials(in: record.id), let reports = try? store.reports(in: record.id) {
                progress.show(trials: trials, reports: reports)
            }
        }
        while coordinator.isRunning {
            try await Task.sleep(for: .milliseconds(500))
            showProgress()
        }
        // The study may end between two looks: show where it ended.
        showProgress()
        progress.finish()
        for child in children.dropFirst() where child.isRunning {
            try await Task.sleep(for: .seconds(1))
            if child.isRunning { child.terminate() }
        }
        guard coordinator.terminationStatus == 0 else {
            Console.error("the coordinator stopped with status \(coordinator.terminationStatus); see \(directory)/coordinator.log")
            throw ExitCode(1)
        }
        let store = try SQLiteTrialStore(readingAt: db)
        guard let record = try store.latestStudy(), let best = try store.trials(in: record.id).best(in: spec),
              let value = spec.value(spec.objectives[0].name, of: best) else {
            Console.error("no trial completed; see \(directory)/worker-1.log")
            throw ExitCode(1)
        }
        let seconds = Int(Date().timeIntervalSince(started).rounded())
        Console.line("")
        Console.line("finished \(spec.budget.trials) trials in \(seconds) s")
        if spec.isMultiObjective {
            // Several objectives: the trade-offs found, not one best configuration.
            for line in CoordinatorCommand.outcome(of: try store.trials(in: record.id), spec: spec) { Console.line(line) }
            Console.line("every trial: \(binary) status --db \(db)")
            Console.line("as CSV:      \(binary) export --format csv --db \(db)  (a pareto column marks the front)")
            Console.line("dashboard:   \(binary) dashboard --db \(db)  (the front on a scatter of two objectives)")
            return
        }
        Console.line("best trial #\(best.id): \(spec.objectives[0].name)=\(TrialFormatting.format(value))")
        for parameter in spec.space.parameters {
            if let chosen = best.configuration[parameter.name] {
                Console.line("  \(parameter.name) = \(TrialFormatting.format(chosen))")
            }
        }
        // Training is deterministic, so running the best configuration again reproduces its accuracy.
        var accuracy: Double?
        var rerun = best.configuration
        if let fidelity = spec.fidelity, rerun["epochs"] == nil { rerun = Configuration(rerun.values.merging(["epochs": .int(fidelity.maxSteps)]) { a, _ in a }) }
        try MLPTrainer(settings: MLPSettings(rerun)).train { accuracy = $0.validationAccuracy }
        if let accuracy {
            Console.line(String(format: "validation accuracy of the best configuration: %.1f%% (360 held-out digits)", accuracy * 100))
        }
        let plot = folder.appendingPathComponent("trials.svg")
        try TrialPlot(spec: spec, trials: try store.trials(in: record.id)).svg().write(to: plot, atomically: true, encoding: .utf8)
        Console.line("plot of every trial and the best so far: \(plot.path) (open it in a browser)")
        Console.line("every trial: \(binary) status --db \(db)")
        Console.line("as CSV:      \(binary) export --format csv --db \(db)")
        // The live dashboard ended with the coordinator; this one serves the same page from the database.
        Console.line("dashboard:   \(binary) dashboard --db \(db)")
    }

    static func launch(_ binary: String, _ arguments: [String], log: URL) throws -> Process {
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw ValidationError("cannot write \(log.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// The demo's live progress: a bar of finished trials, the best value, the running trials.
final class DemoProgress: @unchecked Sendable {
    // Invariant: used only by the demo's one task.
    let spec: StudySpec
    let interactive: Bool
    var lastLine = ""

    init(spec: StudySpec, interactive: Bool) {
        self.spec = spec
        self.interactive = interactive
    }

    func show(trials: [Trial], reports: [TrialReport]) {
        let finished = trials.count { $0.state.isFinished }
        let width = 30
        let filled = min(width, finished * width / max(spec.budget.trials, 1))
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(finished)/\(spec.budget.trials) trials"
        if spec.isMultiObjective {
            let front = trials.paretoFront(in: spec).count
            if front > 0 { line += "  Pareto front: \(front) trial\(front == 1 ? "" : "s")" }
        } else if let best = trials.best(in: spec), let value = spec.value(spec.metric.name, of: best) {
            line += "  best \(spec.metric.name) \(TrialFormatting.format(value)) (#\(best.id))"
        }
        let running = trials.filter { $0.state == .running }
        if !running.isEmpty {
            let lastStep = Dictionary(reports.map { ($0.trial, $0.step) }, uniquingKeysWith: max)
            line += "  running: " + running.map { trial in
                let epochs = (trial.configuration["epochs"]?.description ?? spec.fidelity.map { String($0.maxSteps) }).map { "/\($0)" } ?? ""
                return "#\(trial.id) epoch \(lastStep[trial.id] ?? 0)\(epochs)"
            }.joined(separator: ", ")
        }
        guard line != lastLine else { return }
        lastLine = line
        if interactive {
            print("\r\u{1B}[2K" + line, terminator: "")
            fflush(nil)
        } else {
            Console.line(line)
        }
    }

    func finish() {
        if interactive { print("") }
    }
}
