/// A study a dashboard does not hold was asked for: the API answers 404 with this message.
package struct UnknownStudyError: Error, CustomStringConvertible {
    /// The name asked for.
    package var name: String
    /// The studies there are, in the order `/api/studies` lists them.
    package var known: [String]

    package init(name: String, known: [String]) {
        self.name = name; self.known = known
    }

    package var description: String {
        "no study named '\(name)'" + (known.isEmpty ? "" : "; studies: " + known.joined(separator: ", "))
    }
}
