import ArgumentParser

@main
struct Sextant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sextant",
        abstract: "Distributed hyperparameter tuning: a coordinator runs Bayesian optimization, workers train.",
        discussion: """
            Start a coordinator with a study file, then attach workers from any machine:
              sextant coordinator study.yaml
              sextant worker tcp://HOST:5555 -- python3 train.py --lr {learning_rate}
              sextant status --watch
            Try everything on one machine with the built-in digits network:
              sextant demo
            """,
        subcommands: [CoordinatorCommand.self, WorkerCommand.self, StatusCommand.self, ExportCommand.self,
                      DashboardCommand.self, TrainCommand.self, DemoCommand.self, KeygenCommand.self,
                      EnqueueCommand.self, RetryCommand.self]
    )
}

/// Options shared by commands that read a study database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Study database file.")
    var db: String = "sextant.db"

    @Option(name: .long, help: "Study name (default: the most recent study in the database).")
    var study: String?
}

/// Options for log output.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: String = "warning"
}
