public import Foundation

/// What only a running coordinator knows, in the dashboard's terms: its workers, how fast it
/// suggests, when it started and whether it is stopping. The executable that runs the
/// coordinator fills it in; the dashboard never sees the coordinator itself.
public struct LiveStatus: Sendable, Hashable {
    /// A connected worker.
    public struct Worker: Sendable, Hashable {
        public var name: String
        /// The host the worker said it runs on; nil for workers that do not say.
        public var host: String?
        public var slots: Int
        /// Ids of the trials it runs now.
        public var running: [Int64]
        public var secondsSinceHeartbeat: Double
        public var joinedAt: Date

        public init(name: String, host: String?, slots: Int, running: [Int64], secondsSinceHeartbeat: Double,
                    joinedAt: Date) {
            self.name = name; self.host = host; self.slots = slots; self.running = running
            self.secondsSinceHeartbeat = secondsSinceHeartbeat; self.joinedAt = joinedAt
        }
    }

    /// A latency histogram as Prometheus reads it: cumulative counts per upper bound.
    public struct Histogram: Sendable, Hashable {
        /// Upper bounds of the buckets in seconds, ascending; the unbounded `+Inf` bucket follows.
        public var bounds: [Double]
        /// Observations at or below each bound, then the total: one more entry than `bounds`.
        public var cumulative: [Int]
        /// The sum of all observations in seconds.
        public var sum: Double

        /// The number of observations (the `+Inf` bucket).
        public var count: Int { cumulative.last ?? 0 }

        public init(bounds: [Double], cumulative: [Int], sum: Double) {
            precondition(cumulative.count == bounds.count + 1, "one cumulative count per bound, then +Inf")
            self.bounds = bounds; self.cumulative = cumulative; self.sum = sum
        }
    }

    /// Connected workers, by name.
    public var workers: [Worker]
    /// How long the optimizer took to suggest each trial.
    public var suggestLatency: Histogram
    public var startedAt: Date
    /// True after SIGTERM or Ctrl-C: no new trials are handed out.
    public var stopping: Bool

    public init(workers: [Worker], suggestLatency: Histogram, startedAt: Date, stopping: Bool) {
        self.workers = workers; self.suggestLatency = suggestLatency; self.startedAt = startedAt
        self.stopping = stopping
    }
}
