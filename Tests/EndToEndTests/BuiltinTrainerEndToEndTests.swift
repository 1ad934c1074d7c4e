import Foundation
import Testing

/// The built-in trainer and the numpy example, through real coordinator and worker processes.
@Suite(.timeLimit(.minutes(3))) struct BuiltinTrainerEndToEndTests {
    @Test func builtinWorkersCompleteTrialsAndReportDivergence() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: digits
            metric: {name: val_loss, goal: minimize}
            budget: {trials: 4}
            optimizer: {kind: grid, seed: 1}
            parameters:
              learning_rate: {type: categorical, values: [0.05, 500.0]}
              epochs: {type: int, low: 2, high: 3}
              optimizer: {type: categorical, values: [sgd]}
            """)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "2", "--builtin", "mlp-digits"],
                                        in: box.directory, name: "w")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.count == 4)
        for trial in trials {
            let params = try #require(trial["params"] as? [String: Any])
            if params["learning_rate"] as? Double == 500.0 {
                #expect(trial["state"] as? String == "failed")
                #expect(trial["reason"] as? String == "diverged")
            } else {
                #expect(trial["state"] as? String == "completed")
                #expect(trial["step"] as? Int == params["epochs"] as? Int)
                #expect((trial["value"] as? Double ?? 9) < 2.3)
            }
        }
    }

    @Test func theNumpyExampleIsTunable() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: numpy-example
            metric: {name: val_loss, goal: minimize}
            budget: {trials: 4}
            optimizer: {kind: gp-ei, initial_trials: 2, seed: 3}
            parameters:
              learning_rate: {type: float, low: 1.0e-3, high: 0.5, log: true}
              hidden_units: {type: int, low: 8, high: 64, log: true}
              epochs: {type: categorical, values: [3]}
            """)
        let script = SextantProcess.root.appendingPathComponent("docs/examples/train_mlp.py").path
        // The example imports the `sextant` package (Sources/python) for params() and report().
        let package = SextantProcess.root.appendingPathComponent("Sources/python/src").path
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--", "python3", script], in: box.directory, name: "w",
                                        environment: ["PYTHONPATH": package])
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
        let trials = try await box.exportedTrials()
        #expect(trials.count == 4)
        #expect(trials.allSatisfy { $0["state"] as? String == "completed" && $0["step"] as? Int == 3 })
    }

    @Test func trainRefusesBadParameters() async throws {
        let box = try Sandbox()
        let (status, _, err) = try await SextantProcess.run(["train", "mlp-digits", "--param", "optimizer=rmsprop"], in: box.directory)
        #expect(status == 2)
        #expect(err.contains("optimizer must be sgd, momentum or adam, not 'rmsprop'"))
    }
}
