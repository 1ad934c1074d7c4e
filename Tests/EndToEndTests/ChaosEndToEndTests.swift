import Foundation
import Testing

/// Workers and the coordinator killed with SIGKILL and restarted while a study runs:
/// nothing may be lost or counted twice.
@Suite(.timeLimit(.minutes(3))) struct ChaosEndToEndTests {
    @Test func sixtyTrialsSurviveKilledWorkersAndThreeKilledCoordinators() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: chaos
            metric: {name: loss, goal: minimize}
            budget: {trials: 60}
            optimizer: {kind: random, seed: 5}
            max_retries: 20
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        // Each command appends what it prints to printed.log before printing it.
        let script = #"sleep 0.5; echo "$SEXTANT_TRIAL_ID $SEXTANT_PARAM_X" >> printed.log; echo "loss=$SEXTANT_PARAM_X""#
        func startCoordinator(_ generation: Int) throws -> SextantProcess {
            try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c\(generation)")
        }
        func startWorker(_ slot: Int, _ generation: Int) throws -> SextantProcess {
            try SextantProcess(["worker", box.endpoint, "--name", "w\(slot)-\(generation)", "--", "sh", "-c", script],
                               in: box.directory, name: "w\(slot)-\(generation)")
        }
        var coordinator = try startCoordinator(0)
        var workers = try (0..<4).map { try startWorker($0, 0) }
        var coordinatorKills = 0, workerKills = 0, generation = 0
        // Faults are tied to progress (results printed so far), so a busy test machine that
        // delays this loop cannot let the study finish before every fault is injected.
        let coordinatorMilestones = [10, 25, 40]
        let workerMilestones = [4, 8, 14, 18, 22, 30, 35, 45, 50]
        // The worker each of those faults kills: a fixed order that hits every worker, so a failure reproduces.
        let workerVictims = [2, 0, 3, 1, 1, 2, 0, 3, 2]
        let logPath = box.directory.appendingPathComponent("printed.log").path
        func printedCount() -> Int {
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        let start = ContinuousClock.now
        var finished = false
        var nextCoordinator = 0, nextWorker = 0
        while ContinuousClock.now - start < .seconds(150) {
            try await Task.sleep(for: .milliseconds(100))
            if !coordinator.process.isRunning {
                finished = true
                break
            }
            let printed = printedCount()
            if nextCoordinator < coordinatorMilestones.count, printed >= coordinatorMilestones[nextCoordinator] {
                nextCoordinator += 1
                kill(coordinator.process.processIdentifier, SIGKILL)
                _ = await coordinator.wait(timeout: .seconds(5))
                coordinatorKills += 1
                coordinator = try startCoordinator(coordinatorKills)
            } else if nextWorker < workerMilestones.count, printed >= workerMilestones[nextWorker] {
                let victim = workerVictims[nextWorker]
                nextWorker += 1
                generation += 1
                kill(workers[victim].process.processIdentifier, SIGKILL)
                _ = await workers[victim].wait(timeout: .seconds(5))
                workerKills += 1
                workers[victim] = try startWorker(victim, generation)
            }
        }
        if !finished { finished = await coordinator.wait(timeout: .seconds(30)) != nil }
        for worker in workers { worker.kill() }
        #expect(finished, "the study did not finish")
        #expect(coordinator.process.terminationStatus == 0, "coordinator: \(coordinator.stderr)")
        #expect(coordinatorKills == 3)
        #expect(workerKills >= 5)

        let trials = try await box.exportedTrials()
        let completed = trials.filter { $0["state"] as? String == "completed" }
        #expect(completed.count == 60, "states: \(trials.map { $0["state"] as? String ?? "?" })")
        #expect(trials.count == 60)
        #expect(Set(trials.compactMap { $0["id"] as? Int }).count == trials.count)
        var stored: [Int: Double] = [:]
        for trial in completed {
            let id = try #require(trial["id"] as? Int), value = try #require(trial["value"] as? Double)
            let x = try #require((trial["params"] as? [String: Any])?["x"] as? Double)
            #expect(abs(value - x) < 1e-12)
            stored[id] = value
        }
        // Every value a command printed is in the database, under its trial.
        let printed = try String(contentsOf: box.directory.appendingPathComponent("printed.log"), encoding: .utf8)
        var lines = 0
        for line in printed.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let id = Int(fields[0]), let value = Double(fields[1]) else { continue }
            lines += 1
            #expect(stored[id].map { abs($0 - value) < 1e-9 } == true, "printed \(line) not stored")
        }
        #expect(lines >= 60)
        print("chaos: \(workerKills) worker kills, \(coordinatorKills) coordinator kills, \(lines) printed results, "
            + "\(lines - 60) re-runs, 0 lost, 0 double-counted, \(Int((ContinuousClock.now - start).components.seconds)) s")
    }
}

extension ChaosEndToEndTests {
    @Test func sigtermLetsRunningTrialsFinishAndTheStudyResumes() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: graceful
            metric: {name: loss, goal: minimize}
            budget: {trials: 3}
            optimizer: {kind: random, seed: 1}
            parameters:
              x: {type: float, low: 0.0, high: 1.0}
            """)
        let command = "touch started-$SEXTANT_TRIAL_ID; sleep 5; echo loss=$SEXTANT_PARAM_X"
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", command], in: box.directory, name: "w")
        let first = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c1")
        // Wait until the first trial runs, then ask the coordinator to stop.
        let deadline = ContinuousClock.now + .seconds(20)
        let marker = box.directory.appendingPathComponent("started-1").path
        while !FileManager.default.fileExists(atPath: marker), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(first.process.processIdentifier, SIGTERM)
        #expect(await first.wait(timeout: .seconds(20)) == 0, "coordinator: \(first.stderr)")
        // The trial running at SIGTERM finishes; no new one starts; nothing is failed.
        let afterStop = try await box.exportedTrials()
        #expect(!afterStop.isEmpty && afterStop.count < 3)
        #expect(afterStop.allSatisfy { $0["state"] as? String == "completed" })
        #expect(first.stdout.contains("study interrupted: \(afterStop.count) of 3 trials finished"))
        #expect(worker.process.isRunning)

        let second = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c2")
        #expect(await second.wait(timeout: .seconds(60)) == 0, "coordinator: \(second.stderr)")
        #expect(second.stdout.contains("resuming: \(afterStop.count) trials already finished"))
        let trials = try await box.exportedTrials()
        #expect(trials.count == 3 && trials.allSatisfy { $0["state"] as? String == "completed" })

        // The worker stops on SIGTERM too (its study is over here, so it may already have left).
        if worker.process.isRunning { kill(worker.process.processIdentifier, SIGTERM) }
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
    }
}
