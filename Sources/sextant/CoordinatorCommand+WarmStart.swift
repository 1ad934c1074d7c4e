import ArgumentParser
import Foundation
import Logging
import Storage
import TrialModel

extension CoordinatorCommand {
    /// The trials `--warm-start OLD.db[:STUDY]` names, read from that database opened read-only,
    /// with the start line printed and logged; nil without the option. Every error is one line
    /// and exit status 2, before anything of the new study is written.
    func loadWarmStart(for spec: StudySpec, logger: Logger) throws -> WarmStart? {
        guard let text = warmStart else { return nil }
        // A path that exists as given is a database, even with a colon in its name.
        let (path, named) = FileManager.default.fileExists(atPath: text) ? (text, nil) : WarmStart.source(text)
        do {
            guard FileManager.default.fileExists(atPath: path) else {
                throw WarmStartError("--warm-start: no study database at \(path)")
            }
            let store: SQLiteTrialStore
            do {
                store = try SQLiteTrialStore(readOnlyAt: path)
            } catch {
                throw WarmStartError("--warm-start: \(path) is not a Sextant study database")
            }
            let studies = try store.studies()
            let name = try WarmStart.chooseStudy(named: named, among: studies.map(\.spec.name), current: spec.name, database: path)
            let old = studies.first { $0.spec.name == name }!
            if name == spec.name && Self.sameFile(path, db) {
                throw WarmStartError("--warm-start: \(path):\(name) is this study; warm-start from another study or database")
            }
            let start = try WarmStart(trials: try store.trials(in: old.id), from: old.spec, into: spec)
            var line = start.summary(study: name, database: path)
            if spec.optimizer.kind != .gpEI { line += "; optimizer \(spec.optimizer.kind.rawValue) does not use them" }
            Console.line(line)
            logger.info("warm start", metadata: [
                "database": "\(path)", "study": "\(name)", "trials": "\(start.trials.count)", "skipped": "\(start.skippedCount)",
            ])
            return start
        } catch let error as WarmStartError {
            Console.error(error.description)
            throw ExitCode(2)
        } catch {
            Console.error("--warm-start: cannot read \(path): \(error)")
            throw ExitCode(2)
        }
    }

    /// Whether two paths name the same file (both resolved; a missing one is itself).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
    }
}
