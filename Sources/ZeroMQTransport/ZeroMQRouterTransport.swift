package import struct Foundation.Data
package import Transport
package import ZeroMQ

/// `RouterTransport` over a ZeroMQ ROUTER socket on its own thread.
package final class ZeroMQRouterTransport: RouterTransport {
    package let inbound: AsyncStream<(peer: PeerID, frames: [Data])>
    private let pump: SocketPump

    /// Binds `endpoint` (e.g. `tcp://0.0.0.0:5555`); throws `ZeroMQError` if it cannot. With `curve`,
    /// the socket is a CURVE server and clients are admitted by the context's ZAP handler.
    package init(context: Context, endpoint: String, curve: CurveKeyPair? = nil) throws {
        pump = try SocketPump(context: context, type: .router, name: "sextant-router") { socket in
            if let curve { try socket.makeCurveServer(curve, zapDomain: "sextant") }
            try socket.set(.routerMandatory, 1)
            try socket.set(.routerHandover, 1)
            try socket.set(.maxMessageSize, 16 << 20)
            try socket.set(.sendHighWaterMark, 10_000)
            try socket.set(.receiveHighWaterMark, 10_000)
            try socket.set(.tcpKeepalive, 1)
            try socket.set(.handshakeInterval, 10_000)
            try socket.bind(endpoint)
        }
        let source = pump.incoming
        inbound = AsyncStream { continuation in
            let task = Task {
                for await frames in source where frames.count >= 2 {
                    continuation.yield((PeerID(frames[0]), Array(frames.dropFirst())))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    package func send(_ frames: [Data], to peer: PeerID) {
        pump.send([peer.bytes] + frames)
    }

    package func close() {
        pump.stop()
    }
}
