package import struct Foundation.Data
import Synchronization
import Transport

/// A `DealerTransport` in memory, for tests: either connected to an `InMemoryRouterTransport`
/// (`router.connect(routingID:)`), or standing alone, with the test playing the coordinator
/// through `deliver`, `take` and `next`.
package final class InMemoryDealerTransport: DealerTransport {
    package let inbound: AsyncStream<[Data]>
    private let inboundContinuation: AsyncStream<[Data]>.Continuation
    /// Where `send` goes when connected to a router; nil when the test reads the outbox.
    private let forward: (@Sendable ([Data]) -> Void)?
    private let closed = Mutex(false)
    private let outbox = Outbox<[Data]>()

    /// A dealer whose peer is the test.
    package convenience init() {
        self.init(forward: nil)
    }

    init(forward: (@Sendable ([Data]) -> Void)?) {
        self.forward = forward
        (inbound, inboundContinuation) = AsyncStream.makeStream()
    }

    package func send(_ frames: [Data]) {
        guard !closed.withLock({ $0 }) else { return }
        if let forward { forward(frames) } else { outbox.append(frames) }
    }

    package func close() {
        closed.withLock { $0 = true }
        inboundContinuation.finish()
    }

    /// Delivers `frames` as if the coordinator had sent them.
    package func deliver(_ frames: [Data]) {
        receive(frames)
    }

    /// Removes and returns everything sent so far, in order.
    package func take() -> [[Data]] {
        outbox.takeAll { _ in true }
    }

    /// Waits until frames matching `predicate` were sent; removes and returns them. Frames
    /// before them stay queued. Throws `InMemoryTimeout` after `timeout`.
    package func next(timeout: Duration = .seconds(10), where predicate: ([Data]) -> Bool = { _ in true })
        async throws -> [Data]
    {
        try await outbox.next(timeout: timeout, what: "the dealer's coordinator", where: predicate)
    }

    func receive(_ frames: [Data]) {
        guard !closed.withLock({ $0 }) else { return }
        inboundContinuation.yield(frames)
    }

    func disconnect() {
        inboundContinuation.finish()
    }
}
