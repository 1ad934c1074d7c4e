import Foundation
import Testing

/// A command that prints its steps faster than the coordinator's decisions come back (fast
/// epochs, or reports flushed at exit) runs to its end: a late prune decision must not turn
/// such a trial into a pruned one.
@Suite(.timeLimit(.minutes(3))) struct FastReportingEndToEndTests {
    @Test(arguments: ["unbuffered", "flushed at exit"])
    func everyTrialThatRanToItsLastStepIsCompleted(output: String) async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: fast
            metric: {name: loss, goal: minimize}
            budget: {trials: 30}
            optimizer: {kind: random, seed: 5}
            pruner: {kind: asha, min_steps: 1, reduction_factor: 3}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        // Ten steps at once; the loss falls with the step and grows with x, so ASHA would stop
        // most trials at its rungs (steps 1, 3 and 9) if the decisions came in time.
        let write = output == "unbuffered"
            ? "for line in lines: print(line, flush=True)" : "sys.stdout.write(''.join(line + '\\n' for line in lines))"
        let script = """
            import os, sys
            x = float(os.environ["SEXTANT_PARAM_X"])
            lines = [f"loss={x + 1.0 / step} step={step}" for step in range(1, 11)]
            \(write)
            """
        let scriptPath = try box.write("fast.py", script)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "2", "--", "python3", scriptPath],
                                        in: box.directory, name: "w")
        #expect(await coordinator.wait(timeout: .seconds(120)) == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.count == 30)
        for trial in trials where trial["step"] as? Int == 10 {
            #expect(trial["state"] as? String == "completed", "trial \(trial["id"] ?? "?") ran to step 10: \(trial)")
        }
        // Stopped trials never reached the end; finished ones carry their last value.
        for trial in trials where trial["state"] as? String == "pruned" {
            #expect((trial["step"] as? Int ?? 10) < 10)
        }
        let completed = trials.filter { $0["state"] as? String == "completed" }
        #expect(completed.count >= 20, "completed: \(completed.count) of 30")
        for trial in completed {
            let x = try #require((trial["params"] as? [String: Any])?["x"] as? Double)
            #expect(abs((trial["value"] as? Double ?? .nan) - (x + 0.1)) < 1e-6)
        }
    }
}
