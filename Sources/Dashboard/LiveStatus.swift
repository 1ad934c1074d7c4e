package import Foundation

/// What only a running coordinator knows, in the dashboard's terms: its workers, how fast it
/// suggests, when it started and whether it is stopping. The executable that runs the
/// coordinator fills it in; the dashboard never sees the coordinator itself.
package struct LiveStatus: Sendable, Hashable {
    /// A connected worker.
    package struct Worker: Sendable, Hashable {
        package var name: String
        /// The host the worker said it runs on; nil for workers that do not say.
        package var host: String?
        package var slots: Int
        /// Ids of the trials it runs now.
        package var running: [Int64]
        package var secondsSinceHeartbeat: Double
        package var joinedAt: Date

        package init(name: String, host: String?, slots: Int, running: [Int64], secondsSinceHeartbeat: Double,
                    joinedAt: Date) {
            self.name = name; self.host = host; self.slots = slots; self.running = running
            self.secondsSinceHeartbeat = secondsSinceHeartbeat; self.joinedAt = joinedAt
        }
    }

    /// A latency histogram as Prometheus reads it: cumulative counts per upper bound.
    package struct Histogram: Sendable, Hashable {
        /// Upper bounds of the buckets in seconds, ascending; the unbounded `+Inf` bucket follows.
        package var bounds: [Double]
        /// Observations at or below each bound, then the total: one more entry than `bounds`.
        package var cumulative: [Int]
        /// The sum of all observations in seconds.
        package var sum: Double

        /// The number of observations (the `+Inf` bucket).
        package var count: Int { cumulative.last ?? 0 }

        package init(bounds: [Double], cumulative: [Int], sum: Double) {
            precondition(cumulative.count == bounds.count + 1, "one cumulative count per bound, then +Inf")
            self.bounds = bounds; self.cumulative = cumulative; self.sum = sum
        }
    }

    /// One point of a running trial's predicted continuation (a study with a fidelity): the
    /// model's mean and central 95% band at a step. Written as `[step, mean, low, high]`.
    package struct ForecastPoint: Codable, Sendable, Hashable {
        package var step: Int
        package var mean: Double
        package var low: Double
        package var high: Double

        package init(step: Int, mean: Double, low: Double, high: Double) {
            self.step = step; self.mean = mean; self.low = low; self.high = high
        }

        package init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            step = try container.decode(Int.self)
            mean = try container.decode(Double.self)
            low = try container.decode(Double.self)
            high = try container.decode(Double.self)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(step)
            try container.encode(mean)
            try container.encode(low)
            try container.encode(high)
        }
    }

    /// Connected workers, by name.
    package var workers: [Worker]
    /// How long the optimizer took to suggest each trial.
    package var suggestLatency: Histogram
    package var startedAt: Date
    /// True after SIGTERM or Ctrl-C: no new trials are handed out.
    package var stopping: Bool
    /// The curve model's predicted continuation of each running trial, by trial id.
    package var forecasts: [Int64: [ForecastPoint]] = [:]

    package init(workers: [Worker], suggestLatency: Histogram, startedAt: Date, stopping: Bool) {
        self.workers = workers; self.suggestLatency = suggestLatency; self.startedAt = startedAt
        self.stopping = stopping
    }
}
