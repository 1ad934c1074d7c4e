package import struct Foundation.Date

/// Where the coordinator and the worker read the time and wait: a monotonic reading for
/// intervals (heartbeats, liveness, timeouts) and the calendar for stamps.
///
/// Passed in, so that tests move time on purpose (`ManualTimekeeper`) instead of waiting
/// for it, and a slow machine makes them slower, never wrong.
package protocol Timekeeper: Sendable {
    /// Monotonic time since a fixed, arbitrary origin.
    var now: Duration { get }
    /// Calendar time, for stamps that are stored and shown.
    var date: Date { get }
    /// Suspends until `now` reaches `deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

extension Timekeeper {
    /// Suspends for `duration`; throws `CancellationError` when the task is cancelled.
    package func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The machine's clocks: `ContinuousClock` for intervals, the system calendar for stamps.
package struct SystemTimekeeper: Timekeeper {
    private let origin: ContinuousClock.Instant

    package init() {
        origin = ContinuousClock.now
    }

    package var now: Duration { ContinuousClock.now - origin }

    package var date: Date { Date() }

    package func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline)
    }
}
