import Foundation
import Glibc
import Testing

/// A real `sextant` process started by a test, with its output captured to files.
final class SextantProcess: Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    /// The repository root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `sextant` binary built by `swift build` next to the tests.
    static var binary: URL {
        let candidates = [".build/debug/sextant", ".build/release/sextant"].map { root.appendingPathComponent($0) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Starts `sextant` with `arguments`; inside network namespace `namespace` when given;
    /// with `environment` added to the test's own.
    init(_ arguments: [String], in directory: URL, name: String, namespace: String? = nil,
         environment: [String: String] = [:]) throws {
        stdoutPath = directory.appendingPathComponent("\(name).out").path
        stderrPath = directory.appendingPathComponent("\(name).err").path
        try Data().write(to: URL(fileURLWithPath: stdoutPath))
        try Data().write(to: URL(fileURLWithPath: stderrPath))
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, Self.binary.path] + arguments
        } else {
            process.executableURL = Self.binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for exit; returns the status, or nil after `timeout` (the process is then killed).
    /// The default leaves a debug-build study of a few dozen GP-EI trials time to end on a
    /// machine whose cores are all taken by the other tests.
    func wait(timeout: Duration = .seconds(120)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                return nil
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Waits until stdout holds `text`; false when the process exits first or after `timeout`.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// SIGTERM, then SIGKILL if the process is still there after 10 s: a test never leaves one behind.
    func kill() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `sextant` with `arguments` to the end and returns (status, stdout, stderr).
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                    timeout: Duration = .seconds(30)) async throws -> (Int32?, String, String) {
        let process = try SextantProcess(arguments, in: directory, name: "run-\(UUID().uuidString.prefix(8))",
                                         environment: environment)
        let status = await process.wait(timeout: timeout)
        return (status, process.stdout, process.stderr)
    }
}

/// The ports handed out to tests in this run, each at most once.
final class PortLedger: @unchecked Sendable {
    static let shared = PortLedger()
    private let lock = NSLock()
    private var given: Set<Int> = []

    /// True the first time `port` is claimed in this run.
    func claim(_ port: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return given.insert(port).inserted
    }
}

/// A fresh directory and a free loopback endpoint for one test.
struct Sandbox {
    let directory: URL
    let endpoint: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sextant-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        endpoint = "tcp://127.0.0.1:\(Self.freePort())"
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A TCP port that was free a moment ago and that no other test of this run was given, drawn
    /// below the kernel's ephemeral range (32768 on by default, read from the kernel).
    ///
    /// A port the kernel picks for bind(0) or for an outgoing connection (a worker's, a browser's)
    /// can be taken by another test's process between this probe and the coordinator's bind. And a
    /// probe alone is not enough between tests: two tests can draw the same port before either
    /// binds it, or one test can draw the port another test's coordinator has just released and is
    /// about to bind again (a restart, a second study on the same endpoint). The second
    /// coordinator then fails "address already in use", and the first test's workers join the
    /// other test's study. So every port is handed out once per test run.
    static func freePort() -> Int {
        let upper = min(32_000, ephemeralLow - 1)
        let lower = min(20_000, upper - 2_000)
        for _ in 0..<500 {
            let port = Int.random(in: lower...upper)
            guard PortLedger.shared.claim(port) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if bound == 0 { return port }
        }
        preconditionFailure("no free loopback port in \(lower)-\(upper)")
    }

    /// The first port of the kernel's ephemeral range, or 32768 when it cannot be read.
    static let ephemeralLow: Int = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32_768
        return low > 4_000 ? low : 32_768
    }()

    /// Trials of the study in `db`, read through `sextant export --format json`.
    func exportedTrials(db: String = "sextant.db") async throws -> [[String: Any]] {
        let (status, out, err) = try await SextantProcess.run(["export", "--format", "json", "--db", db], in: directory)
        #expect(status == 0, "export failed: \(err)")
        let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return object?["trials"] as? [[String: Any]] ?? []
    }
}
