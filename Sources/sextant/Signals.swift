import Dispatch
import Foundation

/// SIGTERM and SIGINT turned into a callback (the default action, dying at once, is disabled
/// while it is installed). A second signal, of either kind, exits at once with status
/// 128 + its number, for a user who really means it.
final class Signals: @unchecked Sendable {
    // Invariant: `sources` never changes after init; their handlers, and the count of signals
    // received that they share, run only on the one serial queue the sources were made with.
    // `cancel()` may run on any thread: cancelling a dispatch source is thread-safe.
    private let sources: [any DispatchSourceSignal]

    private init(sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }

    static func onTerminate(_ handler: @escaping @Sendable () -> Void) -> Signals {
        let queue = DispatchQueue(label: "sextant.signals")
        var received = 0
        let sources = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                received += 1
                if received > 1 { exit(128 + number) }
                handler()
            }
            source.resume()
            return source
        }
        return Signals(sources: sources)
    }

    /// Stops listening and gives both signals their default action back.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}
