import CZeroMQ
package import Foundation
import Dispatch
import Glibc
import Synchronization

/// Runs one socket on a dedicated thread and bridges it to Swift concurrency.
///
/// The thread creates the socket, applies `setUp` (options, bind or connect), then
/// loops on `zmq_poll` over the socket and a wake-up pipe. Incoming multipart messages
/// are yielded to `incoming`; `send` queues a message and writes to the pipe, and the
/// thread sends it with `DONTWAIT`. No other thread ever touches the socket.
package final class SocketPump: Sendable {
    /// Every multipart message the socket receives, in order; finishes when the pump stops.
    package let incoming: AsyncStream<[Data]>

    private let continuation: AsyncStream<[Data]>.Continuation
    private let outbox = Mutex<[[Data]]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let wakeReader: Int32
    private let wakeWriter: Int32
    private let sendFailures = Atomic<Int>(0)

    /// Starts the thread; throws if the socket cannot be created or `setUp` throws (e.g. bind fails).
    package init(
        context: Context,
        type: SocketType,
        name: String,
        setUp: @escaping @Sendable (Socket) throws -> Void
    ) throws {
        let (stream, continuation) = AsyncStream<[Data]>.makeStream(bufferingPolicy: .unbounded)
        self.incoming = stream
        self.continuation = continuation
        var wakePipe: [Int32] = [0, 0]
        guard pipe(&wakePipe) == 0 else { throw ZeroMQError("pipe", code: errno) }
        for fd in wakePipe {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.wakeReader = wakePipe[0]
        self.wakeWriter = wakePipe[1]

        let started = DispatchSemaphore(value: 0)
        let startError = Mutex<(any Error)?>(nil)
        let thread = Thread { [self] in
            let socket: Socket
            do {
                socket = try Socket(context: context, type: type)
                try setUp(socket)
            } catch {
                startError.withLock { $0 = error }
                started.signal()
                continuation.finish()
                finished.signal()
                return
            }
            started.signal()
            run(socket)
            socket.close()
            continuation.finish()
            finished.signal()
        }
        thread.name = name
        thread.start()
        started.wait()
        if let error = startError.withLock({ $0 }) {
            close(wakeReader)
            close(wakeWriter)
            throw error
        }
    }

    /// Queues a multipart message for sending; never blocks.
    package func send(_ frames: [Data]) {
        // A non-empty outbox already has a wake-up on its way (the pump empties the outbox
        // only after it was woken), so only the first message of a burst writes to the pipe.
        let wasEmpty = outbox.withLock { queue in
            defer { queue.append(frames) }
            return queue.isEmpty
        }
        if wasEmpty { wake() }
    }

    /// Messages that could not be delivered (peer gone or queue full) since the start.
    package var undeliveredCount: Int { sendFailures.load(ordering: .relaxed) }

    /// Flushes queued messages, closes the socket and waits for the thread to end.
    package func stop() {
        if stopRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        wake()
        finished.wait()
        close(wakeReader)
        close(wakeWriter)
    }

    private func wake() {
        var one: UInt8 = 1
        // A full pipe already means "wake up"; EAGAIN is fine.
        _ = write(wakeWriter, &one, 1)
    }

    private func run(_ socket: Socket) {
        while true {
            let stopping = stopRequested.load(ordering: .acquiring)
            flushOutbox(socket)
            if stopping { return }
            let ready: [Bool]
            do {
                ready = try poll([.socket(socket), .fileDescriptor(wakeReader)], timeoutMilliseconds: 1000)
            } catch {
                return
            }
            if ready[1] {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeReader, &drain, drain.count) > 0 {}
            }
            if ready[0] {
                // Drain in batches so a busy peer cannot starve the outbox.
                for _ in 0..<256 {
                    do {
                        guard let frames = try socket.receive(dontWait: true) else { break }
                        continuation.yield(frames)
                    } catch {
                        if error.isTerminated { return }
                        break
                    }
                }
            }
        }
    }

    private func flushOutbox(_ socket: Socket) {
        let pending = outbox.withLock { queue -> [[Data]] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for frames in pending {
            do {
                if try !socket.send(frames, dontWait: true) {
                    sendFailures.add(1, ordering: .relaxed)
                }
            } catch {
                sendFailures.add(1, ordering: .relaxed)
            }
        }
    }
}
