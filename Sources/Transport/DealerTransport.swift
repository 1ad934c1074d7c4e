package import struct Foundation.Data

/// The worker's side of the network: one connection to the coordinator.
///
/// Contract: `inbound` yields each message's frames in arrival order; `send` never
/// blocks; messages may be lost across a reconnect, which the protocol's retries cover.
package protocol DealerTransport: Sendable {
    var inbound: AsyncStream<[Data]> { get }
    func send(_ frames: [Data])
    /// Flushes queued messages (briefly) and closes the transport.
    func close()
}
