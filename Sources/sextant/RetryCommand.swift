import ArgumentParser
import Foundation
import Storage
import TrialModel

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run trials again as new attempts, keeping their earlier attempts.",
        discussion: """
            Example:
              sextant retry --db sextant.db --failed
              sextant retry --trial 3 7
            A running coordinator starts them within a second, as soon as a worker is \
            free; a stopped one when it starts. A rerun takes no budget: the trial is \
            counted once, and it runs even when budget.trials is spent.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Every failed trial.")
    var failed = false

    @Option(name: .customLong("trial"), parsing: .upToNextOption, help: ArgumentHelp(
        "Trials to run again (any state but running).", valueName: "N"))
    var trials: [Int64] = []

    func validate() throws {
        if !failed && trials.isEmpty { throw ValidationError("say which trials: --failed, or --trial N ...") }
    }

    func run() throws {
        try StudyQueueAccess.reporting {
            let access = try StudyQueueAccess(options: database)
            let name = access.study.spec.name
            let all = try access.store.trials(in: access.study.id)
            var chosen: [Trial] = []
            for id in trials {
                guard let trial = all.first(where: { $0.id.rawValue == id }) else {
                    throw QueueInputError("study \(name) has no trial \(id)")
                }
                switch trial.state {
                case .running:
                    throw QueueInputError("trial \(id) is running; only a trial that is not running can be run again")
                case .pending: throw QueueInputError("trial \(id) is already waiting to run")
                case .completed, .failed, .pruned: chosen.append(trial)
                }
            }
            if failed { chosen += all.filter { $0.state == .failed && !trials.contains($0.id.rawValue) } }
            // One transaction: all of them are queued, or none.
            let queued = try access.store.batch {
                var queued: [Trial] = []
                for trial in chosen {
                    if try access.store.queueRetry(of: trial.id, in: access.study.id, at: Date()) {
                        queued.append(trial)
                    } else if trials.contains(trial.id.rawValue) {
                        throw QueueInputError("trial \(trial.id) is already queued to run again")
                    }
                }
                guard !queued.isEmpty else {
                    throw QueueInputError("nothing to retry: study \(name) has no failed trial that is not already queued")
                }
                return queued
            }
            for trial in queued {
                Console.line("trial \(trial.id) (\(trial.state.rawValue), attempt \(trial.attempt)) queued to run again "
                    + "as attempt \(trial.attempt + 1): " + TrialFormatting.describe(trial.configuration, in: access.study.spec.space))
            }
        }
    }
}
