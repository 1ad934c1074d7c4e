import Foundation
import Testing

/// CURVE encryption and authentication with real processes: only listed worker keys get in.
@Suite(.timeLimit(.minutes(2))) struct SecurityEndToEndTests {
    @Test func onlyAuthorizedWorkersGetTrials() async throws {
        let box = try Sandbox()
        for name in ["coordinator", "good", "stranger"] {
            let (status, _, err) = try await SextantProcess.run(["keygen", name, "--directory", "keys"], in: box.directory)
            #expect(status == 0, "\(err)")
        }
        let keys = box.directory.appendingPathComponent("keys")
        let attributes = try FileManager.default.attributesOfItem(atPath: keys.appendingPathComponent("good.key").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let allowed = box.directory.appendingPathComponent("allowed")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: keys.appendingPathComponent("good.pub"), to: allowed.appendingPathComponent("good.pub"))
        let studyPath = try box.write("study.yaml", """
            name: secure
            metric: {name: loss, goal: minimize}
            budget: {trials: 4}
            optimizer: {kind: random, seed: 2}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        let command = ["--", "sh", "-c", "echo loss=$SEXTANT_PARAM_X"]
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint,
                                              "--curve-secret-key", "keys/coordinator.key", "--authorized-keys", "allowed"],
                                             in: box.directory, name: "c")
        // An unknown key and no key at all: they must get nothing.
        let stranger = try SextantProcess(["worker", box.endpoint, "--name", "stranger", "--curve-secret-key", "keys/stranger.key",
                                           "--server-key", "keys/coordinator.pub"] + command, in: box.directory, name: "s")
        let plain = try SextantProcess(["worker", box.endpoint, "--name", "plain"] + command, in: box.directory, name: "p")
        defer { stranger.kill(); plain.kill() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !coordinator.stdout.contains("rejected a worker"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(coordinator.stdout.contains("is not in allowed"))

        let good = try SextantProcess(["worker", box.endpoint, "--name", "good", "--curve-secret-key", "keys/good.key",
                                       "--server-key", "keys/coordinator.pub"] + command, in: box.directory, name: "g")
        #expect(await coordinator.wait(timeout: .seconds(40)) == 0, "coordinator: \(coordinator.stderr)")
        #expect(await good.wait(timeout: .seconds(15)) == 0)
        let trials = try await box.exportedTrials()
        #expect(trials.count == 4)
        #expect(trials.allSatisfy { $0["state"] as? String == "completed" && $0["worker"] as? String == "good" })
        // Whatever they tried while the study ran, neither got in.
        #expect(!stranger.stdout.contains("joined study"))
        #expect(!plain.stdout.contains("joined study"))
        #expect(coordinator.stdout.contains("worker good joined"))
        #expect(!coordinator.stdout.contains("worker stranger joined") && !coordinator.stdout.contains("worker plain joined"))
    }

    @Test func bindingTheNetworkWithoutKeysWarnsLoudly() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: open
            metric: {name: loss, goal: minimize}
            budget: {trials: 1}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        let port = Sandbox.freePort()
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", "tcp://0.0.0.0:\(port)"], in: box.directory, name: "c")
        defer { coordinator.kill() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !coordinator.stderr.contains("WARNING"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(coordinator.stderr.contains("without encryption or authentication"))
    }
}
