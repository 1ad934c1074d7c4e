import ArgumentParser
import Foundation
import Logging
import TrialModel

/// Writes progress lines and errors; stdout is flushed per line so pipes see progress live.
enum Console {
    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    }

    /// The study file at `path`; a bad one is reported in one line and exits with status 2.
    static func studyFile(_ path: String) throws -> StudySpec {
        do {
            return try StudyFile.load(path: path)
        } catch {
            Console.error(error.description)
            throw ExitCode(2)
        }
    }

    static func bootstrapLogging(_ options: LoggingOptions) {
        let level = Logger.Level(rawValue: options.logLevel.lowercased()) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// The local time as HH:mm:ss (localtime_r: a formatter per line costs more than the line).
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
