import Foundation
import CZeroMQ
import Synchronization

/// A ZeroMQ authentication (ZAP, RFC 27) handler that admits only listed CURVE public keys.
///
/// It owns a REP socket bound to `inproc://zeromq.zap.01` in the context of the sockets it
/// guards, on a thread of its own. Without it, libzmq would let any client that knows the
/// server's public key in.
package final class ZAPHandler: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts answering; `onDecision(publicKey, address, admitted)` is called for every attempt.
    package init(
        context: Context, allowedKeys: Set<String>,
        onDecision: @escaping @Sendable (_ publicKey: String, _ address: String, _ admitted: Bool) -> Void
    ) throws {
        let started = DispatchSemaphore(value: 0)
        let startError = Mutex<(any Error)?>(nil)
        let thread = Thread { [self] in
            let socket: Socket
            do {
                socket = try Socket(context: context, type: .rep)
                try socket.bind("inproc://zeromq.zap.01")
            } catch {
                startError.withLock { $0 = error }
                started.signal()
                finished.signal()
                return
            }
            started.signal()
            while !stopRequested.load(ordering: .acquiring) {
                guard let ready = try? poll([.socket(socket)], timeoutMilliseconds: 200), ready[0] else { continue }
                guard let request = try? socket.receive(dontWait: true) else { continue }
                // [version, request id, domain, address, identity, mechanism, credentials...]
                let text = request.map { String(decoding: $0, as: UTF8.self) }
                let requestID = request.count > 1 ? request[1] : Data()
                var admitted = false, key = "", address = ""
                if request.count >= 7, text[0] == "1.0", text[5] == "CURVE",
                   let z85 = CurveKeyPair.z85(Array(request[6])) {
                    key = z85
                    address = text[3]
                    admitted = allowedKeys.contains(z85)
                } else if request.count >= 4 {
                    address = text[3]
                }
                onDecision(key, address, admitted)
                let reply = [Data("1.0".utf8), requestID, Data((admitted ? "200" : "400").utf8),
                             Data((admitted ? "OK" : "key not authorized").utf8), Data(key.utf8), Data()]
                _ = try? socket.send(reply)
            }
            socket.close()
            finished.signal()
        }
        thread.name = "sextant-zap"
        thread.start()
        started.wait()
        if let error = startError.withLock({ $0 }) { throw error }
    }

    /// Stops the handler thread (call before the guarded sockets' context is terminated).
    package func stop() {
        if stopRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        finished.wait()
    }
}
