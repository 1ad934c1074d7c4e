package import struct Foundation.Data
import Synchronization
package import Transport

/// A `RouterTransport` in memory, for tests: peers are either dealers made with `connect`
/// or the test itself, which injects frames with `deliver` and reads replies with `take`
/// and `next`.
///
/// Like the ZeroMQ router it keeps arrival order per peer, never blocks in `send`, and drops
/// what is sent to a peer that is not connected (a frame list sent to a peer the test plays
/// is kept in the outbox instead, for the test to read).
package final class InMemoryRouterTransport: RouterTransport {
    package let inbound: AsyncStream<(peer: PeerID, frames: [Data])>
    private let inboundContinuation: AsyncStream<(peer: PeerID, frames: [Data])>.Continuation
    private let state = Mutex(State())
    private let outbox = Outbox<(peer: PeerID, frames: [Data])>()

    private struct State {
        var dealers: [PeerID: InMemoryDealerTransport] = [:]
        var closed = false
        var undelivered = 0
    }

    package init() {
        (inbound, inboundContinuation) = AsyncStream.makeStream()
    }

    package func send(_ frames: [Data], to peer: PeerID) {
        let (closed, dealer) = state.withLock { ($0.closed, $0.dealers[peer]) }
        guard !closed else { return }
        if let dealer {
            dealer.receive(frames)
        } else {
            outbox.append((peer, frames))
        }
    }

    package func close() {
        let dealers = state.withLock { state in
            state.closed = true
            return Array(state.dealers.values)
        }
        for dealer in dealers { dealer.disconnect() }
        inboundContinuation.finish()
    }

    /// A dealer connected to this router, seen by it as `routingID`.
    package func connect(routingID: String) -> InMemoryDealerTransport {
        let peer = PeerID(Data(routingID.utf8))
        let dealer = InMemoryDealerTransport { [weak self] frames in
            guard let self, !self.state.withLock({ $0.closed }) else { return }
            self.inboundContinuation.yield((peer, frames))
        }
        state.withLock { $0.dealers[peer] = dealer }
        return dealer
    }

    /// Delivers `frames` as if `peer` had sent them.
    package func deliver(_ frames: [Data], from peer: String) {
        inboundContinuation.yield((PeerID(Data(peer.utf8)), frames))
    }

    /// Removes and returns everything sent to `peer` (a peer the test plays) so far, in order.
    package func take(for peer: String) -> [[Data]] {
        outbox.takeAll { $0.peer.description == peer }.map(\.frames)
    }

    /// Waits until `peer` has been sent frames matching `predicate`; removes and returns them.
    /// Frames before them stay queued. Throws `InMemoryTimeout` after `timeout`.
    package func next(for peer: String, timeout: Duration = .seconds(10),
                     where predicate: ([Data]) -> Bool = { _ in true }) async throws -> [Data] {
        try await outbox.next(timeout: timeout, what: peer) { $0.peer.description == peer && predicate($0.frames) }.frames
    }
}
