import Foundation
import Testing

/// Three hosts in network namespaces this test creates (a coordinator and two workers,
/// joined by veth links with addresses of its own), a degraded link, and a cut link.
@Suite(.timeLimit(.minutes(3)), .serialized) struct MultiHostEndToEndTests {
    /// Runs a shell command; returns its exit status.
    @discardableResult
    static func sh(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs a shell command; returns what it printed.
    static func output(_ command: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether this machine lets us create network namespaces (root and iproute2).
    static let namespacesAvailable: Bool = {
        let probe = "sxprobe\(getpid())"
        defer { sh("ip netns del \(probe)") }
        return sh("ip netns add \(probe)") == 0
    }()

    /// The three hosts; removed (with their links) on `tearDown`.
    struct Hosts {
        let coordinator: String, worker1: String, worker2: String
        let subnet1: Int, subnet2: Int
        var coordinatorAddress1: String { "10.231.\(subnet1).1" }
        var coordinatorAddress2: String { "10.231.\(subnet2).1" }

        init() throws {
            let tag = "\(getpid() % 100_000)"
            coordinator = "sxc\(tag)"; worker1 = "sxa\(tag)"; worker2 = "sxb\(tag)"
            subnet1 = Int.random(in: 1...120); subnet2 = subnet1 + 120
            let commands = [
                "ip netns add \(coordinator)", "ip netns add \(worker1)", "ip netns add \(worker2)",
                "ip -n \(coordinator) link set lo up", "ip -n \(worker1) link set lo up", "ip -n \(worker2) link set lo up",
                "ip -n \(coordinator) link add ca type veth peer name ac", "ip -n \(coordinator) link set ac netns \(worker1)",
                "ip -n \(coordinator) link add cb type veth peer name bc", "ip -n \(coordinator) link set bc netns \(worker2)",
                "ip -n \(coordinator) addr add 10.231.\(subnet1).1/24 dev ca", "ip -n \(coordinator) link set ca up",
                "ip -n \(coordinator) addr add 10.231.\(subnet2).1/24 dev cb", "ip -n \(coordinator) link set cb up",
                "ip -n \(worker1) addr add 10.231.\(subnet1).2/24 dev ac", "ip -n \(worker1) link set ac up",
                "ip -n \(worker2) addr add 10.231.\(subnet2).2/24 dev bc", "ip -n \(worker2) link set bc up",
            ]
            for command in commands where MultiHostEndToEndTests.sh(command) != 0 {
                tearDown()
                throw SetupError(command: command)
            }
        }

        func tearDown() {
            for name in [coordinator, worker1, worker2] { MultiHostEndToEndTests.sh("ip netns del \(name)") }
        }

        struct SetupError: Error { let command: String }
    }

    /// A TCP relay that holds every chunk for DELAY seconds in each direction, in order:
    /// `relay.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY`.
    static let delayRelay = """
        import asyncio, sys, time

        listen_port, host, port, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

        async def pipe(reader, writer):
            queue = asyncio.Queue()
            async def deliver():
                while True:
                    due, data = await queue.get()
                    if data is None:
                        break
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    writer.write(data)
                    await writer.drain()
                writer.close()
            sender = asyncio.ensure_future(deliver())
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    queue.put_nowait((time.monotonic() + delay, data))
            except ConnectionError:
                pass
            queue.put_nowait((0, None))
            await sender

        async def handle(client_reader, client_writer):
            try:
                server_reader, server_writer = await asyncio.open_connection(host, port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer),
                                 return_exceptions=True)

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
            async with server:
                await server.serve_forever()

        asyncio.run(main())
        """

    static let study = """
        name: hosts
        metric: {name: loss, goal: minimize}
        budget: {trials: TRIALS}
        optimizer: {kind: random, seed: 4}
        max_retries: 10
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """

    @Test(.enabled(if: namespacesAvailable, "network namespaces cannot be created here (needs root and iproute2)"))
    func aStudyCompletesAcrossHostsOverALossyLinkAndACutOne() async throws {
        let hosts = try Hosts()
        defer { hosts.tearDown() }
        let box = try Sandbox()
        let port = Int.random(in: 20_000...40_000)
        // Worker 1's link: 50 ms delay and 5% loss. With netem in the kernel, on the link itself;
        // without it, 5% of the link's packets are dropped each way by iptables and worker 1
        // reaches the coordinator through a relay in its namespace that holds every chunk 50 ms.
        var worker1Endpoint = "tcp://\(hosts.coordinatorAddress1):\(port)"
        var relay: Process?
        defer { relay?.terminate() }
        if Self.sh("ip netns exec \(hosts.worker1) tc qdisc add dev ac root netem delay 50ms loss 5%") == 0 {
            print("multi-host test: worker 1's link has 50 ms delay and 5% loss (tc netem)")
        } else if Self.sh("ip netns exec \(hosts.worker1) iptables -A INPUT -i ac -m statistic --mode random --probability 0.05 -j DROP") == 0,
                  Self.sh("ip netns exec \(hosts.worker1) iptables -A OUTPUT -o ac -m statistic --mode random --probability 0.05 -j DROP") == 0 {
            let relayPort = Int.random(in: 40_001...50_000)
            let script = try box.write("relay.py", Self.delayRelay)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", hosts.worker1, "python3", script, String(relayPort), hosts.coordinatorAddress1,
                                 String(port), "0.05"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            relay = process
            worker1Endpoint = "tcp://127.0.0.1:\(relayPort)"
            print("multi-host test: tc netem is not in this kernel; worker 1's link drops 5% of packets each way "
                + "(iptables statistic) and a relay delays its traffic by 50 ms each way")
        } else {
            print("multi-host test: neither tc netem nor iptables works here; worker 1's link is not impaired")
        }

        // Part 1: a study over both links.
        let first = try box.write("first.yaml", Self.study.replacingOccurrences(of: "TRIALS", with: "12"))
        let command = ["--", "sh", "-c", "touch started-$SEXTANT_TRIAL_ID; sleep 0.3; echo loss=$SEXTANT_PARAM_X"]
        let coordinator = try SextantProcess(["coordinator", first, "--bind", "tcp://0.0.0.0:\(port)", "--db", "first.db"],
                                             in: box.directory, name: "c1", namespace: hosts.coordinator)
        /// One worker on each worker host, each connecting over its own link. The one behind the
        /// impaired link starts first and has joined before the other starts: a lost SYN can
        /// delay its connection by seconds, and the study must not end without it.
        func startWorkers(_ command: [String], run: Int, coordinator: SextantProcess) async throws -> [SextantProcess] {
            let first = try SextantProcess(["worker", worker1Endpoint, "--name", "host-a"] + command,
                                           in: box.directory, name: "a\(run)", namespace: hosts.worker1)
            let deadline = ContinuousClock.now + .seconds(60)
            while !coordinator.stdout.contains("worker host-a joined"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let second = try SextantProcess(["worker", "tcp://\(hosts.coordinatorAddress2):\(port)", "--name", "host-b"] + command,
                                            in: box.directory, name: "b\(run)", namespace: hosts.worker2)
            return [first, second]
        }
        let workers = try await startWorkers(command, run: 1, coordinator: coordinator)
        #expect(await coordinator.wait(timeout: .seconds(60)) == 0, "coordinator: \(coordinator.stderr)")
        for worker in workers { #expect(await worker.wait(timeout: .seconds(15)) == 0) }
        let firstTrials = try await box.exportedTrials(db: "first.db")
        #expect(firstTrials.count == 12 && firstTrials.allSatisfy { $0["state"] as? String == "completed" })
        #expect(Set(firstTrials.compactMap { $0["worker"] as? String }) == ["host-a", "host-b"])
        if relay != nil {
            // What the link lost (a short study sends few packets, so this is reported, not required).
            let dropped = ["INPUT", "OUTPUT"].map { chain in
                Self.output("ip netns exec \(hosts.worker1) iptables -L \(chain) -v -n -x").split(separator: "\n")
                    .filter { $0.contains("DROP") }
                    .compactMap { Int($0.split(separator: " ").first ?? "") }.reduce(0, +)
            }.reduce(0, +)
            print("multi-host test: \(dropped) packets dropped on worker 1's link")
        }

        // Part 2: worker 2's link is cut for longer than the heartbeat timeout (5 s), then restored.
        let second = try box.write("second.yaml", Self.study.replacingOccurrences(of: "TRIALS", with: "6"))
        let slow = ["--", "sh", "-c", "sleep 2; echo loss=$SEXTANT_PARAM_X"]
        let coordinator2 = try SextantProcess(["coordinator", second, "--bind", "tcp://0.0.0.0:\(port)", "--db", "second.db"],
                                              in: box.directory, name: "c2", namespace: hosts.coordinator)
        let workers2 = try await startWorkers(slow, run: 2, coordinator: coordinator2)
        defer { for process in workers2 + [coordinator2] { process.kill() } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !coordinator2.stdout.contains("started on host-b"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Self.sh("ip -n \(hosts.worker2) link set bc down") == 0)
        try await Task.sleep(for: .seconds(8))
        #expect(Self.sh("ip -n \(hosts.worker2) link set bc up") == 0)
        #expect(await coordinator2.wait(timeout: .seconds(90)) == 0, "coordinator: \(coordinator2.stderr)")
        #expect(coordinator2.stdout.contains("worker host-b lost"))
        let trials = try await box.exportedTrials(db: "second.db")
        #expect(trials.count == 6 && trials.allSatisfy { $0["state"] as? String == "completed" })
        #expect(trials.contains { ($0["attempt"] as? Int ?? 1) >= 2 }, "no trial was requeued")
        for trial in trials {
            let x = (trial["params"] as? [String: Any])?["x"] as? Double
            #expect(x != nil && trial["value"] as? Double == x)
        }
    }
}
