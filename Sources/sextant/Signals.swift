import Dispatch
import Foundation

/// SIGTERM and SIGINT turned into a callback (the default action, dying at once, is disabled
/// while it is installed). A second signal exits at once, for a user who really means it.
final class Signals: @unchecked Sendable {
    // Invariant: the sources are only touched on `queue`, and by `cancel()` once.
    private let sources: [any DispatchSourceSignal]
    private let queue = DispatchQueue(label: "sextant.signals")

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
                if received > 1 { exit(130) }
                handler()
            }
            source.resume()
            return source
        }
        return Signals(sources: sources)
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}
