import Synchronization

/// The coordinator's inbox: events from any thread, taken by the actor in batches.
///
/// `push` appends and wakes the reader; `batches` yields once per wake-up, and the reader
/// takes everything queued so far with `drain`, so a burst of messages is handled (and
/// stored, in one transaction) together.
final class EventQueue<Event: Sendable>: Sendable {
    private let queue = Mutex<(events: [Event], finished: Bool)>(([], false))
    private let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>

    init() {
        (wakes, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func push(_ event: Event) {
        let accepted = queue.withLock { state in
            if state.finished { return false }
            state.events.append(event)
            return true
        }
        if accepted { wake.yield() }
    }

    func drain() -> [Event] {
        queue.withLock { state in
            defer { state.events.removeAll(keepingCapacity: true) }
            return state.events
        }
    }

    func finish() {
        queue.withLock { $0.finished = true }
        wake.finish()
    }
}
