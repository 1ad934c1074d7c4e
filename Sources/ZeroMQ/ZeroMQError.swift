import CZeroMQ

/// An error from libzmq, carrying `errno` and the text of `zmq_strerror`.
///
/// Users see it as `zmq_bind failed: Address already in use (errno 98)`.
package struct ZeroMQError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The `errno` value libzmq reported.
    package let code: Int32
    /// What was being attempted, e.g. `zmq_bind`.
    package let operation: String
    /// The text of `zmq_strerror(code)`.
    package let message: String

    init(_ operation: String, code: Int32 = zmq_errno()) {
        self.code = code
        self.operation = operation
        self.message = String(cString: zmq_strerror(code))
    }

    package var description: String { "\(operation) failed: \(message) (errno \(code))" }

    /// The peer is not (or no longer) connected: a ROUTER send with `ROUTER_MANDATORY`.
    package var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// The operation would block (only with `dontWait`).
    package var isWouldBlock: Bool { code == EAGAIN }
    /// The context was terminated; the socket must be closed.
    package var isTerminated: Bool { code == ETERM }
}
