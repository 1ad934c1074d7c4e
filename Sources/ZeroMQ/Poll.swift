import CZeroMQ

/// What a `poll` call watches: a socket or a plain file descriptor, for input.
package enum PollTarget {
    case socket(Socket)
    case fileDescriptor(Int32)
}

/// Waits until one of `targets` is readable or `timeoutMilliseconds` passes (-1: forever).
///
/// Returns, for each target in order, whether it is readable. `EINTR` counts as a timeout.
package func poll(_ targets: [PollTarget], timeoutMilliseconds: Int) throws(ZeroMQError) -> [Bool] {
    var items = targets.map { target -> zmq_pollitem_t in
        switch target {
        case .socket(let socket):
            zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        case .fileDescriptor(let fd):
            zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0)
        }
    }
    let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
    if rc < 0 {
        let code = zmq_errno()
        if code == EINTR { return Array(repeating: false, count: items.count) }
        throw ZeroMQError("zmq_poll", code: code)
    }
    return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
}
