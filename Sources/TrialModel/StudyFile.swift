import Foundation
import Yams

/// Reads study files (YAML, or JSON, which YAML accepts) into a validated `StudySpec`.
///
/// Every problem is reported as a `StudyFileError` naming the file, the field and
/// the fix; unknown fields are errors, so a typo never silently falls back to a default.
package enum StudyFile {
    /// Loads and validates the study file at `path`.
    package static func load(path: String) throws(StudyFileError) -> StudySpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "no such file"
            throw StudyFileError(file: path, field: "", problem: reason)
        }
        return try parse(text, file: path)
    }

    /// Parses study file text; `file` names it in errors.
    package static func parse(_ text: String, file: String) throws(StudyFileError) -> StudySpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw StudyFileError(file: file, field: "", problem: "not valid YAML or JSON: \(Self.summary(of: error))")
        }
        guard let root else { throw StudyFileError(file: file, field: "", problem: "the file is empty") }
        return try StudyFileReader(file: file).read(root)
    }

    private static func summary(of error: any Error) -> String {
        "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}
