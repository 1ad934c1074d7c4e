import ArgumentParser
import Foundation
import Storage
import TrialModel

struct EnqueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a configuration to run before the optimizer's next suggestion.",
        discussion: """
            Example:
              sextant enqueue --db sextant.db learning_rate=0.01 batch_size=64
            Parameters left out are chosen by the study's optimizer. A running \
            coordinator starts it within a second, as soon as a worker is free; a \
            stopped one when it starts. It counts toward budget.trials.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("Parameter values, NAME=VALUE.", valueName: "NAME=VALUE"))
    var assignments: [String] = []

    func run() throws {
        try StudyQueueAccess.reporting {
            let access = try StudyQueueAccess(options: database)
            let space = access.study.spec.space
            let configuration = try Self.configuration(assignments, in: space, study: access.study.spec.name)
            let entry = try access.store.enqueue(configuration, in: access.study.id, at: Date())
            let missing = space.parameters.map(\.name).filter { configuration[$0] == nil }
            Console.line("queued #\(entry) in study \(access.study.spec.name): "
                + TrialFormatting.describe(configuration, in: space)
                + (missing.isEmpty ? "" : " (the optimizer chooses \(missing.joined(separator: ", ")))"))
        }
    }

    /// `NAME=VALUE` arguments read and checked against `space`.
    static func configuration(_ assignments: [String], in space: SearchSpace, study: String) throws -> Configuration {
        guard !assignments.isEmpty else {
            throw QueueInputError("enqueue: give at least one NAME=VALUE (parameters of \(study): "
                + space.parameters.map(\.name).joined(separator: ", ") + ")")
        }
        var values: [String: ParameterValue] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw QueueInputError("enqueue: '\(assignment)' is not NAME=VALUE")
            }
            let name = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            guard values[name] == nil else { throw QueueInputError("enqueue: \(name): given twice") }
            do {
                values[name] = try space.value(of: name, parsing: text)
            } catch {
                throw QueueInputError("enqueue: \(assignment): \(error.description)")
            }
        }
        if let (name, problem) = space.conditionProblem(in: Configuration(values)) {
            throw QueueInputError("enqueue: \(name): \(problem)")
        }
        return Configuration(values)
    }
}
