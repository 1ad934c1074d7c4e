import ArgumentParser
import Foundation
import Storage

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print every trial of a study as CSV or JSON.",
        discussion: """
            Example:
              sextant export --format csv --db sextant.db > trials.csv
              sextant export --format json | jq '.trials[] | select(.state == "completed")'
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @Option(help: "csv or json.")
    var format: Format = .json

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        do {
            let export = try StudyExport(options: database)
            switch format {
            case .json: Console.line(try export.jsonText())
            case .csv: print(export.csvText(), terminator: "")
            }
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        }
    }
}
