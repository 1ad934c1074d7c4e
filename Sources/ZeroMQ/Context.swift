import CZeroMQ
import Glibc

/// A libzmq context: the I/O threads that every socket of a process shares.
///
/// libzmq contexts are thread-safe, sockets are not: create the context once and
/// hand it to the thread that will own each socket.
package final class Context: @unchecked Sendable {
    // Invariant: `handle` is only passed to libzmq functions documented as thread-safe
    // (zmq_socket, zmq_ctx_shutdown, zmq_ctx_term).
    let handle: UnsafeMutableRawPointer

    /// Creates a context with one I/O thread.
    package init() throws(ZeroMQError) {
        guard let handle = zmq_ctx_new() else { throw ZeroMQError("zmq_ctx_new") }
        self.handle = handle
        zmq_ctx_set(handle, ZMQ_BLOCKY, 0)
    }

    /// Raises the number of sockets this context may open (libzmq's default is 1023).
    package func setMaxSockets(_ count: Int) {
        zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(count))
    }

    /// Raises this process's open-file limit to the hard limit, so one process can hold
    /// thousands of connections; returns the new soft limit.
    @discardableResult
    package static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Makes every blocking call on this context's sockets return `ETERM`.
    package func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    deinit {
        zmq_ctx_term(handle)
    }

    /// Whether libzmq was built with the named capability, e.g. `"curve"`.
    package static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// The libzmq version, e.g. `"4.3.4"`.
    package static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
