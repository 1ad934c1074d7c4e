/// A study file that cannot be used.
///
/// Users see one line naming the file, the field and the problem:
/// `study.yaml: parameters.lr.low: must be greater than 0 on a log scale (line 9)`.
package struct StudyFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file as the user named it.
    package let file: String
    /// Dotted path of the offending field, empty for the whole file.
    package let field: String
    /// What is wrong and, where it helps, how to fix it.
    package let problem: String
    /// 1-based line in the file, when known.
    package let line: Int?

    package init(file: String, field: String, problem: String, line: Int? = nil) {
        self.file = file
        self.field = field
        self.problem = problem
        self.line = line
    }

    package var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return field.isEmpty ? "\(file): \(problem)\(location)" : "\(file): \(field): \(problem)\(location)"
    }
}
