package import struct Foundation.Data

/// Identifies a connected worker socket (its ZeroMQ routing id).
package struct PeerID: Hashable, Sendable, CustomStringConvertible {
    package let bytes: Data
    package init(_ bytes: Data) { self.bytes = bytes }
    package var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// The coordinator's side of the network: messages in from peers, messages out to one peer.
///
/// Contract: `inbound` yields each received message's frames (without routing envelope)
/// in arrival order; `send` never blocks and may silently drop a message to a peer that
/// is gone (the protocol's acknowledgements and retries cover that).
package protocol RouterTransport: Sendable {
    var inbound: AsyncStream<(peer: PeerID, frames: [Data])> { get }
    func send(_ frames: [Data], to peer: PeerID)
    /// Flushes queued messages and closes the transport.
    func close()
}
