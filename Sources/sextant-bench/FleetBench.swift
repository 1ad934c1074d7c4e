import ArgumentParser
import Foundation
import ZeroMQ

/// Many workers on one coordinator: a load process holds `--workers` DEALER connections
/// (one slot each) that answer every TRIAL at once with a RESULT, against a real
/// `sextant coordinator` process with the random sampler.
struct FleetBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Throughput, assignment latency and memory of one coordinator with a large fleet."
    )

    @Option(help: "Worker connections held by the load process.")
    var workers = 1000

    @Option(help: "Trials in the study.")
    var trials = 20_000

    @Option(help: "Raw DEALER/ROUTER round trips timed in the same run, for the ratio.")
    var roundTrips = 5_000

    @Option(help: "The sextant binary (default: next to this one).")
    var sextant: String?

    /// One simulated worker.
    struct Member {
        let socket: Socket
        /// When it last asked for work (HELLO or RESULT) and has not been given a trial since.
        var waitingSince: ContinuousClock.Instant?
        var lastSent: ContinuousClock.Instant
        var welcomed = false
        var done = false
    }

    func run() async throws {
        let limit = Context.raiseFileLimit()
        guard limit > workers * 2 + 64 else {
            throw ValidationError("the open-file limit is \(limit); \(workers) connections need about \(workers * 2 + 64)")
        }
        let raw = try TransportBench.rawRoundTrips(count: roundTrips)
        print("raw DEALER/ROUTER round trip: median \(String(format: "%.1f", raw.median * 1e6)) µs (\(roundTrips) round trips)")

        let binary = sextant ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sextant").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sextant-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let study = directory.appendingPathComponent("study.yaml")
        try """
            name: fleet
            metric: {name: loss, goal: minimize}
            budget: {trials: \(trials)}
            optimizer: {kind: random, seed: 1}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
              lr: {type: float, low: 0.0001, high: 1.0, log: true}
              layers: {type: int, low: 1, high: 6}
            """.write(to: study, atomically: true, encoding: .utf8)
        guard let port = freeLoopbackPort() else { throw ValidationError("no free local port") }
        let endpoint = "tcp://127.0.0.1:\(port)"
        let log = directory.appendingPathComponent("coordinator.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: binary)
        coordinator.arguments = ["coordinator", study.path, "--bind", endpoint, "--db",
                                 directory.appendingPathComponent("fleet.db").path, "--no-dashboard"]
        coordinator.standardOutput = try FileHandle(forWritingTo: log)
        coordinator.standardError = coordinator.standardOutput
        try coordinator.run()

        let result = try drive(endpoint: endpoint, coordinator: coordinator)
        coordinator.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard result.steadyTrials > 0 else {
            throw ValidationError("the coordinator ended before the fleet ran (status \(coordinator.terminationStatus)):\n\(output)")
        }
        let lost = output.split(separator: "\n").count { $0.contains(" lost;") }
        let stored = output.contains("study finished: \(trials) trials")

        let latency = Summary(result.latencies)
        print("\(workers) workers, \(trials) trials, random sampler, no-op objective:")
        print(String(format: "  all %d workers joined in %.2f s", workers, result.joinSeconds))
        print(String(format: "  throughput: %.0f trials/s over %.2f s (steady state, after every worker joined)",
                     Double(result.steadyTrials) / result.steadySeconds, result.steadySeconds))
        print(String(format: "  assignment latency (RESULT sent to next TRIAL received): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms",
                     latency.median * 1e3, latency.quantile(0.9) * 1e3, latency.quantile(0.99) * 1e3))
        print(String(format: "  coordinator peak memory: %.0f MiB", Double(result.peakKiB) / 1024))
        print("  workers declared dead: \(lost); study finished with every trial stored: \(stored ? "yes" : "NO")")
        let perTrial = result.steadySeconds / Double(result.steadyTrials)
        print(String(format: "  per-trial coordinator time %.1f µs = %.2fx the raw round trip (%.1f µs)",
                     perTrial * 1e6, perTrial / raw.median, raw.median * 1e6))
    }

    struct Outcome {
        var latencies: [Double] = []
        var joinSeconds = 0.0
        var steadyTrials = 0
        var steadySeconds = 0.0
        var peakKiB = 0
    }

    /// Runs the fleet on this thread until the coordinator says BYE to every member or exits.
    func drive(endpoint: String, coordinator: Process) throws -> Outcome {
        let context = try Context()
        context.setMaxSockets(workers + 16)
        let clock = ContinuousClock()
        let start = clock.now
        var members: [Member] = []
        members.reserveCapacity(workers)
        for index in 0..<workers {
            let socket = try Socket(context: context, type: .dealer)
            try socket.setRoutingID("fleet-\(index)")
            try socket.set(.linger, 0)
            try socket.connect(endpoint)
            members.append(Member(socket: socket, waitingSince: clock.now, lastSent: start))
        }
        var outcome = Outcome()
        var completed = 0, welcomed = 0, finished = 0
        var steadyStart: ContinuousClock.Instant?
        var steadyBase = 0
        var lastMemoryCheck = start
        let version = Data("1".utf8)
        func send(_ index: Int, _ type: String, _ body: String) {
            _ = try? members[index].socket.send([version, Data(type.utf8), Data(body.utf8)], dontWait: true)
            members[index].lastSent = clock.now
        }
        let targets = members.map { PollTarget.socket($0.socket) }
        while finished < workers && coordinator.isRunning {
            let now = clock.now
            // HELLO until welcomed, then a heartbeat every second.
            for index in members.indices where !members[index].done && now - members[index].lastSent > .seconds(1) {
                if members[index].welcomed {
                    send(index, "HEARTBEAT", "{}")
                } else {
                    send(index, "HELLO", #"{"worker":"fleet-\#(index)","slots":1}"#)
                }
            }
            if now - lastMemoryCheck > .milliseconds(200) {
                outcome.peakKiB = max(outcome.peakKiB, Self.residentKiB(of: coordinator.processIdentifier))
                lastMemoryCheck = now
            }
            let readable = try poll(targets, timeoutMilliseconds: 100)
            for index in readable.indices where readable[index] {
                while let frames = try members[index].socket.receive(dontWait: true) {
                    guard frames.count == 3 else { continue }
                    switch String(decoding: frames[1], as: UTF8.self) {
                    case "WELCOME":
                        if !members[index].welcomed {
                            members[index].welcomed = true
                            welcomed += 1
                            if welcomed == workers {
                                outcome.joinSeconds = (clock.now - start).seconds
                                steadyStart = clock.now
                                steadyBase = completed
                            }
                        }
                    case "TRIAL":
                        let body = String(decoding: frames[2], as: UTF8.self)
                        let id = Self.integer(after: "\"trial_id\":", in: body) ?? 0
                        let attempt = Self.integer(after: "\"attempt\":", in: body) ?? 1
                        // Steady state only: the first trials of 1,000 workers joining at once queue up.
                        if steadyStart != nil, let since = members[index].waitingSince {
                            outcome.latencies.append((clock.now - since).seconds)
                        }
                        members[index].waitingSince = clock.now
                        send(index, "RESULT", #"{"trial_id":\#(id),"attempt":\#(attempt),"status":"completed","value":0.5,"step":1}"#)
                    case "ACK":
                        completed += 1
                    case "BYE":
                        if !members[index].done {
                            members[index].done = true
                            finished += 1
                        }
                    default:
                        break
                    }
                }
            }
        }
        if let steadyStart {
            outcome.steadySeconds = (clock.now - steadyStart).seconds
            outcome.steadyTrials = completed - steadyBase
        }
        for member in members { member.socket.close() }
        return outcome
    }

    static func integer(after key: String, in text: String) -> Int64? {
        guard let range = text.range(of: key) else { return nil }
        return Int64(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// The resident set of a process in KiB (VmRSS in /proc).
    static func residentKiB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
