import ArgumentParser
import Dashboard
import Foundation
import Logging
import Storage

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the dashboard of a study database, read-only.",
        usage: "sextant dashboard [--db <db>] [--study <study>] [--bind <bind>]",
        discussion: """
            Example:
              sextant dashboard --db sextant.db --bind 127.0.0.1:8090
            Serves the page and JSON API a coordinator serves, from the database alone: \
            beside the coordinator that runs the study (re-read every refresh, so it shows \
            progress) or long after. It only reads: no lock, no write. With several studies \
            in the database the page offers each; --study picks the one shown first \
            (default: the most recent). Connected workers are known to the coordinator only.

            Exit status: 0 after SIGTERM or Ctrl-C, 2 for a missing or foreign database \
            or an unknown study, 1 when the address cannot be bound.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address HOST:PORT (port 0 picks a free one).")
    var bind: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp(
        "Token the dashboard requires (default: $SEXTANT_DASHBOARD_TOKEN; generated when bound beyond loopback).",
        valueName: "TOKEN"))
    var token: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if CoordinatorCommand.hostAndPort(bind) == nil {
            throw ValidationError("--bind takes HOST:PORT, e.g. 127.0.0.1:8090 or 0.0.0.0:8090, not '\(bind)'")
        }
    }

    func run() async throws {
        Console.bootstrapLogging(logging)
        let logger = Logger(label: "sextant.dashboard")
        let db = database.db
        let store: SQLiteTrialStore
        let shown: StudyRecord
        let count: Int
        do {
            store = try SQLiteTrialStore(readOnlyAt: db)
            let studies = try store.studies()
            guard let latest = studies.last else {
                throw StorageError("the database \(db) holds no study yet", isInvalidStudy: true)
            }
            if let name = database.study {
                guard let found = studies.first(where: { $0.spec.name == name }) else {
                    throw StorageError("no study named '\(name)' in \(db); it holds: "
                        + studies.map(\.spec.name).joined(separator: ", "), isInvalidStudy: true)
                }
                shown = found
            } else {
                shown = latest
            }
            count = studies.count
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        }
        guard let (host, port) = CoordinatorCommand.hostAndPort(bind) else { throw ExitCode(1) }
        let token = CoordinatorCommand.dashboardToken(token, host: host)
        let source = DatabaseStudySource(store: store, path: db, defaultStudy: database.study)
        let server: DashboardServer
        do {
            server = try await DashboardServer.start(host: host, port: port, token: token, source: source, logger: logger)
        } catch {
            Console.error("\(error); choose another with --bind HOST:PORT (port 0 picks a free one)")
            throw ExitCode(1)
        }
        defer { server.stop() }
        Console.line("dashboard \(CoordinatorCommand.dashboardURL(host: host, port: server.port, token: token))")
        Console.line("reading \(db) (read-only): study \(shown.spec.name)"
            + (count > 1 ? " and \(count - 1) more to choose from" : "") + "; Ctrl-C stops")
        let (stopped, stop) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTerminate { stop.finish() }
        defer { signals.cancel() }
        for await _ in stopped {}
    }
}
