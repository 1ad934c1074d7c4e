package import Foundation
package import Samplers

/// A connected worker as the coordinator sees it, for the dashboard and `/api/workers`.
package struct WorkerStatus: Sendable, Hashable {
    package var name: String
    /// The host the worker said it runs on (HELLO `host`); nil for workers that do not say.
    package var host: String?
    package var slots: Int
    package var running: [Int64]
    package var secondsSinceHeartbeat: Double
    package var joinedAt: Date

    package init(name: String, host: String?, slots: Int, running: [Int64], secondsSinceHeartbeat: Double, joinedAt: Date) {
        self.name = name; self.host = host; self.slots = slots; self.running = running
        self.secondsSinceHeartbeat = secondsSinceHeartbeat; self.joinedAt = joinedAt
    }
}

/// Suggest latencies in fixed buckets (seconds), cumulative as Prometheus expects.
package struct LatencyHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets in seconds; a last, unbounded bucket follows.
    package static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Observations per bucket (not cumulative); one more entry than `bounds`, for +Inf.
    package private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    package private(set) var sum = 0.0
    package private(set) var count = 0

    package init() {}

    package mutating func record(seconds: Double) {
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        sum += seconds
        count += 1
    }

    /// Observations at or below each bound, then the total (the `+Inf` bucket).
    package var cumulative: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }
}

/// What the coordinator knows beyond the database: its workers and how fast it suggests.
package struct CoordinatorStatus: Sendable {
    package var workers: [WorkerStatus]
    package var suggestLatency: LatencyHistogram
    /// The latest suggestion's latency in seconds.
    package var lastSuggestSeconds: Double?
    package var startedAt: Date
    /// True after SIGTERM or Ctrl-C: no new trials are handed out.
    package var stopping: Bool
    /// The curve model's predicted continuation of each running trial (studies with a fidelity).
    package var forecasts: [Int64: [CurveForecastPoint]] = [:]

    package init(workers: [WorkerStatus], suggestLatency: LatencyHistogram, lastSuggestSeconds: Double?, startedAt: Date,
                stopping: Bool) {
        self.workers = workers; self.suggestLatency = suggestLatency; self.lastSuggestSeconds = lastSuggestSeconds
        self.startedAt = startedAt; self.stopping = stopping
    }
}

extension StudyCoordinator {
    /// A snapshot of the workers and suggestion timings.
    package func status() -> CoordinatorStatus {
        let now = timekeeper.now
        let workers = workers.values.map { worker in
            WorkerStatus(
                name: worker.name, host: worker.host, slots: worker.slots,
                running: worker.running.map(\.rawValue).sorted(),
                secondsSinceHeartbeat: Self.seconds(now - worker.lastSeen), joinedAt: worker.joinedAt)
        }.sorted { $0.name < $1.name }
        var status = CoordinatorStatus(
            workers: workers, suggestLatency: suggestLatency, lastSuggestSeconds: lastSuggestSeconds,
            startedAt: startedDate, stopping: shutdownDeadline != nil)
        for (id, forecast) in forecasts { status.forecasts[id.rawValue] = forecast }
        return status
    }

    static func seconds(_ duration: Duration) -> Double { duration / .seconds(1) }
}
