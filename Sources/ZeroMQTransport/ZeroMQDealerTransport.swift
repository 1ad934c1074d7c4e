package import struct Foundation.Data
import Transport
package import ZeroMQ

/// `DealerTransport` over a ZeroMQ DEALER socket on its own thread.
package final class ZeroMQDealerTransport: DealerTransport {
    package var inbound: AsyncStream<[Data]> { pump.incoming }
    private let pump: SocketPump

    /// Connects to `endpoint` in the background; the coordinator need not be up yet.
    /// With `curve`, the connection is encrypted and authenticated: `keys` are this worker's,
    /// `serverKey` is the coordinator's public key.
    package init(context: Context, endpoint: String, routingID: String,
                curve: (keys: CurveKeyPair, serverKey: String)? = nil) throws {
        pump = try SocketPump(context: context, type: .dealer, name: "sextant-dealer") { socket in
            if let curve { try socket.makeCurveClient(curve.keys, serverKey: curve.serverKey) }
            try socket.setRoutingID(routingID)
            try socket.set(.linger, 2000)
            try socket.set(.reconnectInterval, 250)
            try socket.set(.reconnectIntervalMax, 10_000)
            try socket.set(.maxMessageSize, 16 << 20)
            try socket.set(.tcpKeepalive, 1)
            try socket.set(.handshakeInterval, 10_000)
            // Queue nothing while disconnected: HELLO is retried every interval anyway, and a
            // burst of stale HELLOs on connect would only confuse the coordinator.
            try socket.set(.immediate, 1)
            try socket.connect(endpoint)
        }
    }

    package func send(_ frames: [Data]) {
        pump.send(frames)
    }

    package func close() {
        pump.stop()
    }
}
