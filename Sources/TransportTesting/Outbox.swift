import Synchronization

/// What a test's peer was sent, kept until the test takes it.
final class Outbox<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])

    func append(_ item: Item) {
        items.withLock { $0.append(item) }
    }

    func takeAll(where predicate: (Item) -> Bool) -> [Item] {
        items.withLock { items in
            let taken = items.filter(predicate)
            items.removeAll(where: predicate)
            return taken
        }
    }

    /// Polls for the first item matching `predicate` until `timeout`. Tests wait on what a
    /// component sends, never on the absence of a message, so a slow machine only makes
    /// them slower.
    func next(timeout: Duration, what: String, where predicate: (Item) -> Bool) async throws -> Item {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let found = items.withLock { items -> Item? in
                guard let index = items.firstIndex(where: predicate) else { return nil }
                return items.remove(at: index)
            }
            if let found { return found }
            guard clock.now < deadline else { throw InMemoryTimeout(waitingFor: what) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Nothing matching arrived in time; names the peer waited for.
package struct InMemoryTimeout: Error, CustomStringConvertible {
    package let waitingFor: String
    package init(waitingFor: String) { self.waitingFor = waitingFor }
    package var description: String { "nothing matching was sent to \(waitingFor) in time" }
}
