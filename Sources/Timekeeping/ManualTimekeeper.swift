package import struct Foundation.Date
import Synchronization

/// A `Timekeeper` whose time moves only when told to, for tests and simulations.
///
/// `advance(by:)` moves `now` and wakes every sleeper whose deadline has come, in deadline
/// order; `sleepers` and `waitForSleepers(_:)` let a test wait until the components it
/// drives are parked again before it moves time further.
package final class ManualTimekeeper: Timekeeper {
    private struct Sleeper {
        var id: UInt64
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
    }

    private let state = Mutex(State())
    private let startDate: Date

    /// Time starts at zero; `date` starts at `startDate` and moves with it.
    package init(startDate: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.startDate = startDate
    }

    package var now: Duration { state.withLock { $0.now } }

    package var date: Date {
        startDate.addingTimeInterval(now / .seconds(1))
    }

    /// How many tasks are asleep on this timekeeper now.
    package var sleepers: Int { state.withLock { $0.sleepers.count } }

    package func sleep(until deadline: Duration) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes the sleepers whose deadline has come.
    package func advance(by duration: Duration) {
        precondition(duration >= .zero, "time only moves forward")
        let due = state.withLock { state -> [Sleeper] in
            state.now += duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (in real time, polling) until at least `count` tasks sleep on this timekeeper.
    /// Throws `ManualTimekeeperTimeout` if that does not happen within `timeout`.
    package func waitForSleepers(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while sleepers < count {
            guard clock.now < deadline else { throw ManualTimekeeperTimeout(expected: count, sleeping: sleepers) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// The tasks a test expected never went to sleep: they are stuck or gone.
package struct ManualTimekeeperTimeout: Error, CustomStringConvertible {
    package let expected: Int
    package let sleeping: Int
    package var description: String { "expected \(expected) sleeping tasks, found \(sleeping)" }
}
