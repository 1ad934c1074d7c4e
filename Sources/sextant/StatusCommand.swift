import ArgumentParser
import Foundation
import Storage
import TrialModel

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a study's trials and the best one.",
        discussion: """
            Example:
              sextant status --db sextant.db          one table
              sextant status --watch                  refresh every 2 s until the study ends
              sextant status --json                   the same as export --format json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print JSON for scripts.")
    var json = false

    @Flag(help: "Refresh until the study ends.")
    var watch = false

    @Option(help: "Rows to show (the most recent trials).")
    var limit: Int = 40

    func run() async throws {
        do {
            repeat {
                let export = try StudyExport(options: database)
                if json {
                    Console.line(try export.jsonText())
                } else {
                    if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                    Console.line(Self.table(export, limit: limit))
                }
                if !watch || export.study.state != "running" { break }
                try await Task.sleep(for: .seconds(2))
            } while true
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        }
    }

    static func table(_ export: StudyExport, limit: Int) -> String {
        let spec = export.spec
        let trials = export.trials
        var counts: [String] = []
        for state in TrialState.allCases {
            let count = trials.count { $0.state == state }
            if count > 0 { counts.append("\(count) \(state.rawValue)") }
        }
        let finished = trials.count { $0.state.isFinished }
        var lines = [
            "study \(spec.name) (\(export.study.state)): \(finished)/\(spec.budget.trials) finished"
                + (counts.isEmpty ? "" : ", " + counts.joined(separator: ", ")),
            "metric \(spec.metric.name) (\(spec.metric.goal.rawValue)), optimizer \(spec.optimizer.kind.rawValue)",
            "",
        ]
        let header = ["id", "state", spec.metric.name, "step", "try", "worker", "secs", "params"]
        var rows: [[String]] = []
        for trial in trials.suffix(max(limit, 1)) {
            let seconds = trial.startedAt.map { start in
                String(format: "%.1f", (trial.finishedAt ?? Date()).timeIntervalSince(start))
            } ?? ""
            var params = TrialFormatting.describe(trial.configuration, in: spec.space)
            if let reason = trial.reason, trial.state == .failed { params += "  [\(reason)]" }
            rows.append([
                "\(trial.id)", trial.state.rawValue, trial.value.map(TrialFormatting.format) ?? "-",
                trial.step.map(String.init) ?? "-", "\(trial.attempt)", trial.worker ?? "-", seconds, params,
            ])
        }
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func render(_ row: [String]) -> String {
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        lines.append(render(header))
        lines.append(contentsOf: rows.map(render))
        if trials.count > rows.count { lines.append("(\(trials.count - rows.count) earlier trials not shown; --limit N)") }
        lines.append("")
        if let best = export.best, let value = best.value {
            lines.append("best trial #\(best.id): \(spec.metric.name)=\(TrialFormatting.format(value)) "
                + TrialFormatting.describe(best.configuration, in: spec.space))
        } else {
            lines.append("no trial completed yet")
        }
        return lines.joined(separator: "\n")
    }
}
