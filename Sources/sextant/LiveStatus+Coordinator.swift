import Coordinator
import Dashboard

extension LiveStatus {
    /// The coordinator's status in the dashboard's terms.
    init(_ status: CoordinatorStatus) {
        self.init(
            workers: status.workers.map { worker in
                Worker(name: worker.name, host: worker.host, slots: worker.slots, running: worker.running,
                       secondsSinceHeartbeat: worker.secondsSinceHeartbeat, joinedAt: worker.joinedAt)
            },
            suggestLatency: Histogram(
                bounds: LatencyHistogram.bounds, cumulative: status.suggestLatency.cumulative,
                sum: status.suggestLatency.sum),
            startedAt: status.startedAt, stopping: status.stopping)
        forecasts = status.forecasts.mapValues { points in
            points.map { ForecastPoint(step: $0.step, mean: $0.mean, low: $0.low, high: $0.high) }
        }
    }
}
