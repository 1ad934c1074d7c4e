import ArgumentParser
import Foundation
import Storage
import TrialModel

/// A study opened by `enqueue` or `retry`: they add rows to its queue and take no lock, so they
/// work whether its coordinator runs or not.
struct StudyQueueAccess {
    let store: SQLiteTrialStore
    let study: StudyRecord

    init(options: DatabaseOptions) throws {
        guard FileManager.default.fileExists(atPath: options.db) else {
            throw StorageError("no study database at \(options.db) (start a coordinator first, or pass --db)", isInvalidStudy: true)
        }
        let store = try SQLiteTrialStore(path: options.db)
        self.store = store
        let found = try options.study.map { try store.study(named: $0) } ?? store.latestStudy()
        guard let found else {
            throw StorageError(options.study.map { "no study named '\($0)' in \(options.db)" }
                ?? "the database \(options.db) holds no study yet", isInvalidStudy: true)
        }
        study = found
    }

    /// Runs `body`; a problem is reported in one line, with exit status 2 for input the user must
    /// change and 1 for a database that cannot be read or written.
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as QueueInputError {
            Console.error(error.description)
            throw ExitCode(2)
        } catch let error as StorageError {
            Console.error(error.description)
            throw ExitCode(error.isInvalidStudy ? 2 : 1)
        }
    }
}

/// Input `enqueue` or `retry` cannot use (a value outside the space, a trial that cannot run
/// again); the user sees it as one line and the command exits with status 2.
struct QueueInputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
