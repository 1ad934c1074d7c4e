public import struct Foundation.Data

/// Identifies a connected worker socket (its ZeroMQ routing id).
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: Data
    public init(_ bytes: Data) { self.bytes = bytes }
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// The coordinator's side of the network: messages in from peers, messages out to one peer.
///
/// Contract: `inbound` yields each received message's frames (without routing envelope)
/// in arrival order; `send` never blocks and may silently drop a message to a peer that
/// is gone (the protocol's acknowledgements and retries cover that).
public protocol RouterTransport: Sendable {
    var inbound: AsyncStream<(peer: PeerID, frames: [Data])> { get }
    func send(_ frames: [Data], to peer: PeerID)
    /// Flushes queued messages and closes the transport.
    func close()
}
