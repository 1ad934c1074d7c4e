import ArgumentParser
import Foundation
import Synchronization
import ZeroMQ

/// Raw ZeroMQ DEALER/ROUTER round trips against full trial cycles through a real
/// coordinator and worker, in one run, on loopback.
struct TransportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "ZeroMQ round trip vs. a full trial cycle (coordinator + worker, no-op objective)."
    )

    @Option(help: "Raw round trips to time.")
    var roundTrips = 20_000

    @Option(help: "Trials in the full-cycle study.")
    var trials = 300

    @Option(help: "Optimizer of the full-cycle study: random or gp-ei.")
    var optimizer = "random"

    @Option(help: "The sextant binary (default: next to this one).")
    var sextant: String?

    func run() async throws {
        let raw = try Self.rawRoundTrips(count: roundTrips)
        print("raw DEALER/ROUTER round trip, tcp loopback, 185-byte body: median \(us(raw.median)) µs, "
            + "p90 \(us(raw.quantile(0.9))) µs, p99 \(us(raw.quantile(0.99))) µs (\(roundTrips) round trips)")
        let curve = try Self.rawRoundTrips(count: roundTrips, curve: true)
        print("the same with CURVE encryption and ZAP authentication: median \(us(curve.median)) µs, "
            + "p90 \(us(curve.quantile(0.9))) µs (\(String(format: "%.2fx", curve.median / raw.median)) plain; "
            + "\(String(format: "%.0f", 1 / curve.median)) vs \(String(format: "%.0f", 1 / raw.median)) round trips/s)")
        let spawn = try spawnCost()
        print("spawning and reaping /bin/echo alone: median \(us(spawn.median)) µs (200 runs)")
        let cycle = try await trialCycles()
        print("full trial cycle (\(optimizer)), 1 worker, 1 slot, /bin/echo objective: \(String(format: "%.1f", cycle.rate)) trials/s, "
            + "median \(us(cycle.gaps.median)) µs per trial, p90 \(us(cycle.gaps.quantile(0.9))) µs (\(trials) trials)")
        print(String(format: "ratio: a trial cycle costs %.0fx a raw round trip (%.0fx after subtracting the spawn)",
                     cycle.gaps.median / raw.median, (cycle.gaps.median - spawn.median) / raw.median))
    }

    func us(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e6) }

    static func rawRoundTrips(count: Int, curve: Bool = false) throws -> Summary {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate(), clientKeys = try CurveKeyPair.generate()
        let zap = curve ? try ZAPHandler(context: context, allowedKeys: [clientKeys.publicKey]) { _, _, _ in } : nil
        defer { zap?.stop() }
        guard let port = freeLoopbackPort() else { throw ValidationError("no free local port") }
        let endpoint = "tcp://127.0.0.1:\(port)"
        let ready = DispatchSemaphore(value: 0)
        let server = Thread {
            do {
                let router = try Socket(context: context, type: .router)
                if curve { try router.makeCurveServer(serverKeys, zapDomain: "bench") }
                try router.bind(endpoint)
                ready.signal()
                for _ in 0..<count {
                    guard let frames = try router.receive() else { break }
                    try router.send(frames)
                }
                router.close()
            } catch {
                ready.signal()
            }
        }
        server.start()
        ready.wait()
        let dealer = try Socket(context: context, type: .dealer)
        if curve { try dealer.makeCurveClient(clientKeys, serverKey: serverKeys.publicKey) }
        try dealer.connect(endpoint)
        let body = Data(#"{"attempt":1,"metric":"val_loss","params":{"batch_size":64,"learning_rate":0.0123,"optimizer":"adam"},"timeout_seconds":900,"trial_id":123456,"x":"pad"}"#.utf8)
        let frames = [Data("1".utf8), Data("TRIAL".utf8), body.prefix(185)]
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let clock = ContinuousClock()
        for _ in 0..<count {
            let start = clock.now
            try dealer.send(frames)
            _ = try dealer.receive()
            samples.append((clock.now - start).seconds)
        }
        dealer.close()
        return Summary(samples)
    }

    func spawnCost() throws -> Summary {
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<200 {
            let start = clock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/echo")
            process.arguments = ["loss=1"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            samples.append((clock.now - start).seconds)
        }
        return Summary(samples)
    }

    func trialCycles() async throws -> (rate: Double, gaps: Summary) {
        let binary = sextant ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sextant").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sextant-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let study = directory.appendingPathComponent("study.yaml")
        try """
            name: bench
            metric: {name: loss, goal: minimize}
            budget: {trials: \(trials)}
            optimizer: {kind: \(optimizer), seed: 1}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
              y: {type: float, low: 0.0, high: 1.0}
              z: {type: int, low: 1, high: 6}
            """.write(to: study, atomically: true, encoding: .utf8)
        guard let port = freeLoopbackPort() else { throw ValidationError("no free local port") }
        let endpoint = "tcp://127.0.0.1:\(port)"
        let db = directory.appendingPathComponent("bench.db").path
        let coordinator = try launch(binary, ["coordinator", study.path, "--bind", endpoint, "--db", db])
        // A no-op objective whose value still varies, so a model has something to fit.
        let worker = try launch(binary, ["worker", endpoint, "--", "/bin/echo", "loss={x}"])
        coordinator.waitUntilExit()
        worker.waitUntilExit()
        guard coordinator.terminationStatus == 0 else { throw ValidationError("the coordinator failed") }
        let export = Process()
        export.executableURL = URL(fileURLWithPath: binary)
        export.arguments = ["export", "--format", "json", "--db", db]
        let pipe = Pipe()
        export.standardOutput = pipe
        try export.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        export.waitUntilExit()
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let trials = object?["trials"] as? [[String: Any]] ?? []
        let finished = trials.compactMap { ($0["finished_at"] as? String).flatMap(formatter.date(from:)) }.sorted()
        let started = trials.compactMap { ($0["started_at"] as? String).flatMap(formatter.date(from:)) }.sorted()
        // How long the worker's slot sat idle: from one trial's end to the next one's start.
        let waits = zip(started.dropFirst(), finished).map { $0.timeIntervalSince($1) }
        print("worker wait between trials (\(optimizer)): median \(us(Summary(waits).median)) µs, "
            + "p90 \(us(Summary(waits).quantile(0.9))) µs, max \(us(waits.max() ?? .nan)) µs")
        // Skip the first trials: they include the worker joining.
        let steady = Array(finished.dropFirst(5))
        let gaps = zip(steady.dropFirst(), steady).map { $0.timeIntervalSince($1) }
        let span = (steady.last ?? Date()).timeIntervalSince(steady.first ?? Date())
        return (Double(max(steady.count - 1, 0)) / span, Summary(gaps))
    }

    func launch(_ binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

extension Duration {
    var seconds: Double { self / .seconds(1) }
}
