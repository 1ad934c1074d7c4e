import Foundation
package import TrialModel

/// An SVG chart of a study (`sextant demo` writes it as `trials.svg`): each trial's value by
/// trial number, colored by state, the best value so far as a step line, and axes with round
/// ticks (`PlotAxis`). Written by hand: a few shapes, no plotting package needed.
package struct TrialPlot {
    package let spec: StudySpec
    package let trials: [Trial]

    package init(spec: StudySpec, trials: [Trial]) {
        self.spec = spec; self.trials = trials
    }

    package func svg(width: Double = 720, height: Double = 420) -> String {
        let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 50.0)
        let (left, right, top, bottom) = (margin.left, width - margin.right, margin.top, height - margin.bottom)
        let values = trials.compactMap(\.value).filter(\.isFinite)
        let useLog = (values.min() ?? 0) > 0
        let yAxis = PlotAxis(covering: values, logarithmic: useLog)
        let ids = trials.map(\.id.rawValue)
        let xAxis = PlotAxis(trials: ids.min() ?? 1, ids.max() ?? 1)
        func x(_ id: Int64) -> Double { left + (right - left) * xAxis.fraction(Double(id)) }
        func y(_ v: Double) -> Double { bottom - (bottom - top) * yAxis.fraction(v) }
        var parts: [String] = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(width))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##,
            ##"<rect width="100%" height="100%" fill="white"/>"##,
            ##"<text x="\##(left)" y="22" font-size="15">\##(escape(spec.name)): \##(escape(spec.metric.name)) by trial (\##(spec.metric.goal.rawValue))\##(useLog ? ", log scale" : "")</text>"##,
        ]
        for tick in yAxis.ticks {
            let position = y(tick.value)
            parts.append(##"<line x1="\##(left)" y1="\##(position)" x2="\##(right)" y2="\##(position)" stroke="#e8e8e8"/>"##)
            parts.append(##"<text class="tick-y" x="\##(left - 6)" y="\##(position + 4)" text-anchor="end">\##(tick.label)</text>"##)
        }
        for tick in xAxis.ticks {
            let position = x(Int64(tick.value))
            parts.append(##"<line x1="\##(position)" y1="\##(bottom)" x2="\##(position)" y2="\##(bottom + 5)" stroke="black"/>"##)
            parts.append(##"<text class="tick-x" x="\##(position)" y="\##(bottom + 18)" text-anchor="middle">\##(tick.label)</text>"##)
        }
        parts += [
            ##"<line x1="\##(left)" y1="\##(bottom)" x2="\##(right)" y2="\##(bottom)" stroke="black"/>"##,
            ##"<line x1="\##(left)" y1="\##(top)" x2="\##(left)" y2="\##(bottom)" stroke="black"/>"##,
            ##"<text x="\##((left + right) / 2)" y="\##(height - 12)" text-anchor="middle">trial</text>"##,
        ]
        var best: Double?
        var path: [String] = []
        for trial in trials {
            if trial.state == .completed, let value = trial.value, value.isFinite,
               best.map({ spec.metric.goal.isBetter(value, than: $0) }) ?? true {
                best = value
            }
            if let best { path.append("\(path.isEmpty ? "M" : "L")\(x(trial.id.rawValue)),\(y(best))") }
            guard let value = trial.value, value.isFinite else { continue }
            let color = trial.state == .completed ? "#1f77b4" : trial.state == .pruned ? "#ff7f0e" : "#d62728"
            parts.append(##"<circle cx="\##(x(trial.id.rawValue))" cy="\##(y(value))" r="4" fill="\##(color)"><title>trial \##(trial.id) \##(trial.state.rawValue) \##(TrialFormatting.format(value))</title></circle>"##)
        }
        parts.append(##"<path d="\##(path.joined(separator: " "))" fill="none" stroke="#2ca02c" stroke-width="2"/>"##)
        parts.append(##"<text x="\##(right)" y="22" text-anchor="end"><tspan fill="#1f77b4">● completed</tspan> <tspan fill="#ff7f0e">● pruned</tspan> <tspan fill="#2ca02c">— best so far</tspan></text>"##)
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
