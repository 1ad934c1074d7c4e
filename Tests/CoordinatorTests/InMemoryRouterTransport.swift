import Coordinator
import Foundation
import Synchronization
import WireProtocol

/// A `RouterTransport` whose peers are the test: it injects messages and reads replies.
final class InMemoryRouterTransport: RouterTransport {
    let inbound: AsyncStream<(peer: PeerID, frames: [Data])>
    private let inboundContinuation: AsyncStream<(peer: PeerID, frames: [Data])>.Continuation
    private let outbox = Mutex<[(PeerID, Message)]>([])
    private let outboxSignal: AsyncStream<Void>.Continuation
    private let outboxUpdates: AsyncStream<Void>

    init() {
        (inbound, inboundContinuation) = AsyncStream.makeStream()
        (outboxUpdates, outboxSignal) = AsyncStream.makeStream()
    }

    func send(_ frames: [Data], to peer: PeerID) {
        guard let message = try? WireCodec.decode(frames) else { return }
        outbox.withLock { $0.append((peer, message)) }
        outboxSignal.yield()
    }

    func close() {
        inboundContinuation.finish()
    }

    /// Delivers `message` as if `peer` had sent it.
    func deliver(_ message: Message, from peer: String) {
        inboundContinuation.yield((PeerID(Data(peer.utf8)), WireCodec.encode(message)))
    }

    /// Delivers arbitrary frames as if `peer` had sent them.
    func deliverRaw(_ frames: [Data], from peer: String) {
        inboundContinuation.yield((PeerID(Data(peer.utf8)), frames))
    }

    /// Removes and returns everything sent to `peer` so far.
    func take(for peer: String) -> [Message] {
        outbox.withLock { queue in
            let mine = queue.filter { $0.0.description == peer }.map(\.1)
            queue.removeAll { $0.0.description == peer }
            return mine
        }
    }

    /// Waits until `peer` has been sent a message matching `predicate`; removes and returns it.
    func next(for peer: String, timeout: Duration = .seconds(10), where predicate: (Message) -> Bool) async throws -> Message {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = outbox.withLock { queue -> Message? in
                guard let index = queue.firstIndex(where: { $0.0.description == peer && predicate($0.1) }) else { return nil }
                let message = queue[index].1
                queue.remove(at: index)
                return message
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TimeoutError(peer: peer)
    }

    struct TimeoutError: Error { let peer: String }
}
