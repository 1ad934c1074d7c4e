import CZeroMQ

/// Integer socket options Sextant sets; the names follow `zmq_setsockopt(3)`.
package enum IntegerOption: Sendable {
    /// Milliseconds unsent messages are kept after close (0 on coordinators, 1-2 s on workers).
    case linger
    /// First reconnect delay in ms (250-1000 is sensible).
    case reconnectInterval
    /// Upper bound of the exponential reconnect backoff in ms (10-30 s is sensible).
    case reconnectIntervalMax
    /// Queue limits in messages; never 0 (unbounded).
    case sendHighWaterMark, receiveHighWaterMark
    /// 1: a ROUTER send to an unknown peer fails with `EHOSTUNREACH` instead of vanishing.
    case routerMandatory
    /// 1: a ROUTER hands a routing id over to the newest connection that claims it.
    case routerHandover
    /// ZMTP heartbeats: ping interval, timeout and remote TTL, in ms.
    case heartbeatInterval, heartbeatTimeout, heartbeatTTL
    /// Largest accepted message in bytes; larger ones drop the connection.
    case maxMessageSize
    /// Milliseconds allowed for the ZMTP handshake.
    case handshakeInterval
    /// 1: enable TCP keepalive.
    case tcpKeepalive
    /// 1: queue messages only to completed connections.
    case immediate

    var rawValue: Int32 {
        switch self {
        case .linger: ZMQ_LINGER
        case .reconnectInterval: ZMQ_RECONNECT_IVL
        case .reconnectIntervalMax: ZMQ_RECONNECT_IVL_MAX
        case .sendHighWaterMark: ZMQ_SNDHWM
        case .receiveHighWaterMark: ZMQ_RCVHWM
        case .routerMandatory: ZMQ_ROUTER_MANDATORY
        case .routerHandover: ZMQ_ROUTER_HANDOVER
        case .heartbeatInterval: ZMQ_HEARTBEAT_IVL
        case .heartbeatTimeout: ZMQ_HEARTBEAT_TIMEOUT
        case .heartbeatTTL: ZMQ_HEARTBEAT_TTL
        case .maxMessageSize: ZMQ_MAXMSGSIZE
        case .handshakeInterval: ZMQ_HANDSHAKE_IVL
        case .tcpKeepalive: ZMQ_TCP_KEEPALIVE
        case .immediate: ZMQ_IMMEDIATE
        }
    }
}

extension Socket {
    /// Sets an integer option (`ZMQ_MAXMSGSIZE` is passed as the 64-bit value libzmq expects).
    package func set(_ option: IntegerOption, _ value: Int) throws(ZeroMQError) {
        let rc: Int32
        if option == .maxMessageSize {
            var wide = Int64(value)
            rc = zmq_setsockopt(handle, option.rawValue, &wide, MemoryLayout<Int64>.size)
        } else {
            var narrow = Int32(value)
            rc = zmq_setsockopt(handle, option.rawValue, &narrow, MemoryLayout<Int32>.size)
        }
        if rc != 0 { throw ZeroMQError("zmq_setsockopt") }
    }

    /// Sets the routing id a ROUTER peer will see for this socket (1-255 bytes, not starting with 0).
    package func setRoutingID(_ id: String) throws(ZeroMQError) {
        let bytes = Array(id.utf8)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, ZMQ_ROUTING_ID, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZeroMQError("zmq_setsockopt ZMQ_ROUTING_ID") }
    }
}
