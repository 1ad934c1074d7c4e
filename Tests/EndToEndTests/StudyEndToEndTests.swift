import Foundation
import Testing

/// Real coordinator and worker processes over real ZeroMQ sockets and a real SQLite file.
@Suite(.timeLimit(.minutes(3))) struct StudyEndToEndTests {
    static func study(trials: Int, optimizer: String = "random", extra: String = "", timeout: Int = 30) -> String {
        """
        name: e2e
        metric: {name: loss, goal: minimize}
        budget: {trials: \(trials)}
        optimizer: {kind: \(optimizer), seed: 11}
        trial_timeout_seconds: \(timeout)
        \(extra)
        parameters:
          x: {type: float, low: -2.0, high: 2.0}
          y: {type: float, low: -3.0, high: 3.0}
          optimizer: {type: categorical, values: [sgd, momentum, adam]}
        """
    }

    static var quadratic: [String] {
        ["python3", SextantProcess.root.appendingPathComponent("docs/examples/quadratic.py").path,
         "--x", "{x}", "--y", "{y}", "--optimizer", "{optimizer}"]
    }

    @Test func twoWorkersFinishATwentyTrialStudy() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 20, optimizer: "gp-ei"))
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        let workers = try (1...2).map { index in
            try SextantProcess(["worker", box.endpoint, "--name", "w\(index)", "--"] + Self.quadratic,
                               in: box.directory, name: "w\(index)")
        }
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        for worker in workers { #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)") }
        #expect(coordinator.stdout.contains("study finished: 20 trials"))
        #expect(coordinator.stdout.contains("best trial #"))

        let trials = try await box.exportedTrials()
        #expect(trials.count == 20)
        #expect(trials.allSatisfy { $0["state"] as? String == "completed" })
        #expect(Set(trials.compactMap { $0["worker"] as? String }) == ["w1", "w2"])
        // The stored value is the last reported one: the script's closed form.
        for trial in trials {
            let params = try #require(trial["params"] as? [String: Any])
            let x = try #require(params["x"] as? Double), y = try #require(params["y"] as? Double)
            let penalty = ["sgd": 0.5, "momentum": 0.2, "adam": 0.0][params["optimizer"] as? String ?? ""] ?? .nan
            let expected = (x - 0.3) * (x - 0.3) + (y + 1.2) * (y + 1.2) + penalty
            #expect(abs((trial["value"] as? Double ?? .nan) - expected) < 1e-5)
            #expect(trial["step"] as? Int == 3)
        }
        let (status, table, _) = try await SextantProcess.run(["status"], in: box.directory)
        #expect(status == 0)
        #expect(table.contains("study e2e (finished): 20/20 finished, 20 completed"))
        let (_, csv, _) = try await SextantProcess.run(["export", "--format", "csv"], in: box.directory)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "id,state,value,step,attempt,worker,started_at,finished_at,reason,x,y,optimizer")
        #expect(lines.count == 21)
    }

    @Test func gpuSlotsSeeOnlyTheirOwnDevice() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 8))
        // The command holds a lock directory named after its GPU while it runs (mkdir is atomic):
        // a second trial on the same GPU at the same time reports 99 instead of the GPU id.
        let script = """
            if mkdir "gpu-$CUDA_VISIBLE_DEVICES.lock" 2>/dev/null; then
              sleep 0.3; rmdir "gpu-$CUDA_VISIBLE_DEVICES.lock"; echo loss=$CUDA_VISIBLE_DEVICES
            else
              echo loss=99
            fi
            """
        let worker = try SextantProcess(
            ["worker", box.endpoint, "--slots", "2", "--gpus", "6,7", "--", "sh", "-c", script],
            in: box.directory, name: "w")
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
        #expect(worker.stdout.contains("GPUs per slot: 6 | 7"))
        let trials = try await box.exportedTrials()
        #expect(trials.count == 8)
        // Every trial saw one GPU, never one another trial was using; both GPUs were used.
        #expect(Set(trials.compactMap { $0["value"] as? Double }) == [6, 7])
    }

    @Test func failingCommandsAndNaNReportsFailTheirTrialsOnly() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 12))
        // sgd crashes with a message on stderr, momentum reports NaN, adam works.
        let script = """
            case "$1" in
              sgd) echo loss=5; echo "Traceback: exploding gradients" >&2; exit 1;;
              momentum) echo loss=nan; sleep 30;;
              *) echo loss=0.5;;
            esac
            """
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "3", "--", "sh", "-c", script, "sh", "{optimizer}"],
                                        in: box.directory, name: "w")
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)

        let trials = try await box.exportedTrials()
        #expect(trials.count == 12)
        for trial in trials {
            let optimizer = (trial["params"] as? [String: Any])?["optimizer"] as? String
            switch optimizer {
            case "sgd":
                #expect(trial["state"] as? String == "failed")
                #expect(trial["reason"] as? String == "exited with status 1")
                #expect((trial["stderr_tail"] as? String)?.contains("Traceback: exploding gradients") == true)
            case "momentum":
                #expect(trial["state"] as? String == "failed")
                #expect((trial["reason"] as? String)?.contains("non-finite") == true)
            default:
                #expect(trial["state"] as? String == "completed")
                #expect(trial["value"] as? Double == 0.5)
            }
        }
        #expect(Set(trials.compactMap { ($0["params"] as? [String: Any])?["optimizer"] as? String }).count == 3)
    }

    @Test func aWorkerStartedBeforeTheCoordinatorJoinsWhenItComesUp() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 3))
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", "echo loss=$SEXTANT_PARAM_X"],
                                        in: box.directory, name: "w")
        // It is up and retrying HELLO with nobody listening.
        let deadline = ContinuousClock.now + .seconds(20)
        while !worker.stdout.contains("connecting to"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(worker.process.isRunning)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
        let trials = try await box.exportedTrials()
        #expect(trials.count == 3 && trials.allSatisfy { $0["state"] as? String == "completed" })
        for trial in trials {
            #expect(trial["value"] as? Double == (trial["params"] as? [String: Any])?["x"] as? Double)
        }
    }

    @Test func aBadStudyFileGivesOneClearErrorAndStartsNothing() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 3).replacingOccurrences(
            of: "x: {type: float, low: -2.0, high: 2.0}", with: "x: {type: float, low: 2.0, high: -2.0}"))
        let (status, out, err) = try await SextantProcess.run(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory)
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err == "error: \(studyPath): parameters.x.high: must be greater than low (2.0) (line 8)\n")
        #expect(!FileManager.default.fileExists(atPath: box.directory.appendingPathComponent("sextant.db").path))

        let (missingStatus, _, missingErr) = try await SextantProcess.run(["coordinator", "nope.yaml"], in: box.directory)
        #expect(missingStatus == 2)
        #expect(missingErr == "error: nope.yaml: no such file\n")
    }

    @Test func aPythonWorkerWrittenFromTheProtocolPageCompletesTrials() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: pyworker
            metric: {name: loss, goal: minimize}
            budget: {trials: 6}
            optimizer: {kind: random, seed: 3}
            parameters:
              a: {type: float, low: 0.0, high: 1.0}
              b: {type: int, low: 1, high: 5}
              c: {type: categorical, values: [x, y]}
            """)
        let script = SextantProcess.root.appendingPathComponent("docs/examples/python_worker.py").path
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script, box.endpoint, "--name", "py"]
        python.standardOutput = FileHandle.nullDevice
        python.standardError = FileHandle.nullDevice
        try python.run()
        defer { if python.isRunning { python.terminate() } }
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.count == 6)
        #expect(trials.allSatisfy { $0["state"] as? String == "completed" && $0["worker"] as? String == "py" })
        for trial in trials {
            let params = try #require(trial["params"] as? [String: Any])
            let a = try #require(params["a"] as? Double), b = Double(try #require(params["b"] as? Int))
            let expected = (a - 0.5) * (a - 0.5) + (b - 0.5) * (b - 0.5)
            #expect(abs((trial["value"] as? Double ?? .nan) - expected) < 1e-9)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while python.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!python.isRunning && python.terminationStatus == 0)
    }
}

extension StudyEndToEndTests {
    @Test(arguments: ["asha", "median"])
    func aPrunedCommandReallyEnds(pruner: String) async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: pruning
            metric: {name: loss, goal: minimize}
            budget: {trials: 3}
            optimizer: {kind: random, seed: 2}
            pruner: {kind: \(pruner), min_steps: 1, reduction_factor: 2, startup_trials: 1}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        // Trial 1 is good and quick; later trials are bad and would sleep for a minute,
        // leaving their process ids behind to be checked.
        let script = """
            if [ "$SEXTANT_TRIAL_ID" = 1 ]; then echo loss=0.1 step=1; echo loss=0.05 step=2; exit 0; fi
            sleep 60 & echo $! > sleep-$SEXTANT_TRIAL_ID.pid
            echo $$ > shell-$SEXTANT_TRIAL_ID.pid
            echo loss=5 step=1
            wait
            """
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", script], in: box.directory, name: "w")
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        #expect(await coordinator.wait(timeout: .seconds(30)) == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
        let trials = try await box.exportedTrials()
        #expect(trials.map { $0["state"] as? String } == ["completed", "pruned", "pruned"])
        #expect(trials[1]["value"] as? Double == 5 && trials[1]["step"] as? Int == 1)
        for id in [2, 3] {
            for kind in ["sleep", "shell"] {
                let file = box.directory.appendingPathComponent("\(kind)-\(id).pid").path
                let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                let pid = try #require(Int32(text))
                #expect(!Self.isRunning(pid), "\(kind) of trial \(id) (pid \(pid)) still runs")
            }
        }
    }

    /// Whether `pid` is a live process (a zombie waiting for a parent that never reaps it is not).
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return false
        }
        // Field 3, after the parenthesized command name, is the state.
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
