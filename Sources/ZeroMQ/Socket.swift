import CZeroMQ
package import struct Foundation.Data

/// The socket patterns Sextant uses.
package enum SocketType: Sendable {
    case router, dealer, rep, req, pair

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .rep: ZMQ_REP
        case .req: ZMQ_REQ
        case .pair: ZMQ_PAIR
        }
    }
}

/// One ZeroMQ socket. Not `Sendable`: it belongs to the thread that created it.
package final class Socket {
    let handle: UnsafeMutableRawPointer
    private var closed = false

    /// Creates a socket of `type` in `context`, with `LINGER` 0.
    package init(context: Context, type: SocketType) throws(ZeroMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZeroMQError("zmq_socket")
        }
        self.handle = handle
        try set(.linger, 0)
    }

    /// Binds to an endpoint such as `tcp://0.0.0.0:5555`.
    package func bind(_ endpoint: String) throws(ZeroMQError) {
        if zmq_bind(handle, endpoint) != 0 { throw ZeroMQError("zmq_bind \(endpoint)") }
    }

    /// Connects to an endpoint such as `tcp://host:5555`; the connection is made in the background.
    package func connect(_ endpoint: String) throws(ZeroMQError) {
        if zmq_connect(handle, endpoint) != 0 { throw ZeroMQError("zmq_connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves a `*` port), or nil.
    package var lastEndpoint: String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Closes the socket; later calls fail. Called by the owning thread.
    package func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    deinit {
        close()
    }

    /// Sends one multipart message. Returns false when `dontWait` is set and the
    /// message could not be queued (`EAGAIN`); throws on every other failure.
    @discardableResult
    package func send(_ frames: [Data], dontWait: Bool = false) throws(ZeroMQError) -> Bool {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let code = zmq_errno()
                if code == EINTR { continue }
                // libzmq guarantees atomic multipart delivery: a failure can only occur on the first frame.
                if code == EAGAIN && dontWait { return false }
                throw ZeroMQError("zmq_send", code: code)
            }
        }
        return true
    }

    /// Receives one whole multipart message, or nil when `dontWait` is set and none is ready.
    package func receive(dontWait: Bool = false) throws(ZeroMQError) -> [Data]? {
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let rc = zmq_msg_recv(&message, handle, dontWait ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && dontWait && frames.isEmpty { return nil }
                throw ZeroMQError("zmq_msg_recv", code: code)
            }
            let size = zmq_msg_size(&message)
            if size > 0, let data = zmq_msg_data(&message) {
                frames.append(Data(bytes: data, count: size))
            } else {
                frames.append(Data())
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }
}
