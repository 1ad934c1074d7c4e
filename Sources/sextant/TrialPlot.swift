import Foundation
import TrialModel

/// An SVG chart of a study: each trial's value by trial number, colored by state, and the
/// best value so far as a step line. Written by hand: a few shapes, no plotting package needed.
struct TrialPlot {
    let spec: StudySpec
    let trials: [Trial]

    func svg(width: Double = 720, height: Double = 420) -> String {
        let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 50.0)
        let plotted = trials.filter { $0.value?.isFinite == true }
        let values = plotted.compactMap(\.value)
        let useLog = (values.min() ?? 0) > 0
        func transform(_ v: Double) -> Double { useLog ? log10(v) : v }
        let low = transform(values.min() ?? 0), high = transform(values.max() ?? 1)
        let span = high > low ? high - low : 1
        let count = max(trials.count, 1)
        func x(_ index: Int) -> Double {
            margin.left + (width - margin.left - margin.right) * (Double(index) + 0.5) / Double(count)
        }
        func y(_ v: Double) -> Double {
            margin.top + (height - margin.top - margin.bottom) * (1 - (transform(v) - low) / span)
        }
        var parts: [String] = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(width))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##,
            ##"<rect width="100%" height="100%" fill="white"/>"##,
            ##"<text x="\##(margin.left)" y="22" font-size="15">\##(escape(spec.name)): \##(escape(spec.metric.name)) by trial (\##(spec.metric.goal.rawValue))\##(useLog ? ", log scale" : "")</text>"##,
            ##"<line x1="\##(margin.left)" y1="\##(height - margin.bottom)" x2="\##(width - margin.right)" y2="\##(height - margin.bottom)" stroke="black"/>"##,
            ##"<line x1="\##(margin.left)" y1="\##(margin.top)" x2="\##(margin.left)" y2="\##(height - margin.bottom)" stroke="black"/>"##,
            ##"<text x="\##(width / 2)" y="\##(height - 12)" text-anchor="middle">trial</text>"##,
        ]
        for tick in 0...4 {
            let fraction = Double(tick) / 4
            let value = low + span * fraction
            let label = useLog ? pow(10, value) : value
            let position = margin.top + (height - margin.top - margin.bottom) * (1 - fraction)
            parts.append(##"<text x="\##(margin.left - 6)" y="\##(position + 4)" text-anchor="end">\##(TrialFormatting.format(label))</text>"##)
        }
        var best: Double?
        var path: [String] = []
        for (index, trial) in trials.enumerated() {
            if trial.state == .completed, let value = trial.value, value.isFinite,
               best.map({ spec.metric.goal.isBetter(value, than: $0) }) ?? true {
                best = value
            }
            if let best { path.append("\(path.isEmpty ? "M" : "L")\(x(index)),\(y(best))") }
            guard let value = trial.value, value.isFinite else { continue }
            let color = trial.state == .completed ? "#1f77b4" : trial.state == .pruned ? "#ff7f0e" : "#d62728"
            parts.append(##"<circle cx="\##(x(index))" cy="\##(y(value))" r="4" fill="\##(color)"><title>trial \##(trial.id) \##(trial.state.rawValue) \##(TrialFormatting.format(value))</title></circle>"##)
        }
        parts.append(##"<path d="\##(path.joined(separator: " "))" fill="none" stroke="#2ca02c" stroke-width="2"/>"##)
        parts.append(##"<text x="\##(width - margin.right)" y="22" text-anchor="end"><tspan fill="#1f77b4">● completed</tspan> <tspan fill="#ff7f0e">● pruned</tspan> <tspan fill="#2ca02c">— best so far</tspan></text>"##)
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
