import Foundation

/// Reads metric reports out of a training command's stdout lines.
///
/// A line reports when it holds `NAME=VALUE` or `NAME: VALUE` for the study's metric
/// name (a whole word); `step=N` on the same line numbers the report. Other text on the
/// line is ignored, so `epoch 3/10 val_loss=0.25 acc=0.91 step=3` works.
struct MetricLine: Equatable {
    var value: Double
    var step: Int?

    private static let pair = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z0-9_.\-])([A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*([^\s,;]+)"#)

    /// The report in `line` for `metric`, or nil when the line does not report it.
    /// A value that is not a number (e.g. `val_loss=abc`) is not a report; `nan` and `inf` are.
    static func parse(_ line: String, metric: String) -> MetricLine? {
        read(line, metric: metric, others: []).report
    }

    /// One pass over `line`: the report for `metric`, and the values it gives for any of `others`
    /// (the first of each name; numbers only, `nan` and `inf` count).
    static func read(_ line: String, metric: String, others: Set<String>) -> (report: MetricLine?, values: [String: Double]) {
        let range = NSRange(line.startIndex..., in: line)
        var value: Double?
        var step: Int?
        var values: [String: Double] = [:]
        for match in pair.matches(in: line, range: range) {
            guard let keyRange = Range(match.range(at: 1), in: line),
                  let valueRange = Range(match.range(at: 2), in: line) else { continue }
            let key = String(line[keyRange]), text = line[valueRange]
            let number = { Double(text.lowercased() == "nan" ? "nan" : String(text)) }
            if key == metric, value == nil {
                value = number()
            } else if key == "step", step == nil {
                step = Int(text)
            } else if others.contains(key), values[key] == nil, let found = number() {
                values[key] = found
            }
        }
        return (value.map { MetricLine(value: $0, step: step) }, values)
    }
}
