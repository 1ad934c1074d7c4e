import Foundation
import TrialModel

/// `/metrics` in the Prometheus text exposition format (version 0.0.4).
///
/// Written by hand rather than through swift-prometheus: every figure here is a
/// snapshot of the study's state read at scrape time (counts from the database,
/// workers and the latency histogram from the coordinator), not a metric the code
/// updates as it runs, so a registry would only add a copy of the state.
package enum PrometheusText {
    package static func render(_ snapshot: DashboardSnapshot) -> String {
        var lines: [String] = []
        let study = label(snapshot.spec.name)
        func metric(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        metric("sextant_trials", "gauge", "Trials of the study by state.")
        for state in TrialState.allCases {
            let count = snapshot.trials.count { $0.state == state }
            lines.append("sextant_trials{study=\"\(study)\",state=\"\(state.rawValue)\"} \(count)")
        }
        metric("sextant_budget_trials", "gauge", "Trials the study will finish in all.")
        lines.append("sextant_budget_trials{study=\"\(study)\"} \(snapshot.spec.budget.trials)")
        let first = snapshot.spec.objectives[0]
        if let best = snapshot.best, let value = snapshot.spec.value(first.name, of: best), value.isFinite {
            metric("sextant_best_value", "gauge", "Best value of the metric so far.")
            lines.append("sextant_best_value{study=\"\(study)\",metric=\"\(label(first.name))\","
                + "goal=\"\(first.goal.rawValue)\"} \(JSONText.number(value))")
        }
        if snapshot.spec.isMultiObjective {
            let front = snapshot.trials.paretoFront(in: snapshot.spec)
            metric("sextant_pareto_front_trials", "gauge", "Trials on the Pareto front.")
            lines.append("sextant_pareto_front_trials{study=\"\(study)\"} \(front.count)")
            if let reference = snapshot.spec.hypervolumeReference(snapshot.trials),
               let hypervolume = snapshot.trials.hypervolumeHistory(in: snapshot.spec, reference: reference).last?.hypervolume {
                metric("sextant_hypervolume", "gauge",
                       "Hypervolume of the Pareto front against the reference point (objectives minimized; the worst completed value where the study file gives none).")
                lines.append("sextant_hypervolume{study=\"\(study)\"} \(JSONText.number(hypervolume))")
            }
        }
        if let status = snapshot.live {
            metric("sextant_workers_connected", "gauge", "Workers connected to the coordinator.")
            lines.append("sextant_workers_connected{study=\"\(study)\"} \(status.workers.count)")
            metric("sextant_worker_slots", "gauge", "Trial slots of the connected workers.")
            lines.append("sextant_worker_slots{study=\"\(study)\"} \(status.workers.reduce(0) { $0 + $1.slots })")
            metric("sextant_suggest_latency_seconds", "histogram", "Time the optimizer took to suggest a trial.")
            let histogram = status.suggestLatency
            for (bound, count) in zip(histogram.bounds.map(JSONText.number) + ["+Inf"], histogram.cumulative) {
                lines.append("sextant_suggest_latency_seconds_bucket{study=\"\(study)\",le=\"\(bound)\"} \(count)")
            }
            lines.append("sextant_suggest_latency_seconds_sum{study=\"\(study)\"} \(JSONText.number(histogram.sum))")
            lines.append("sextant_suggest_latency_seconds_count{study=\"\(study)\"} \(histogram.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
