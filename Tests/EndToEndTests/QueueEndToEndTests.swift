import Foundation
import Testing

/// `sextant enqueue` and `sextant retry` against real coordinators and workers, over real sockets
/// and a real SQLite file, with the coordinator running and stopped.
@Suite(.timeLimit(.minutes(3))) struct QueueEndToEndTests {
    static func study(trials: Int, timeout: Int = 30) -> String {
        StudyEndToEndTests.study(trials: trials, timeout: timeout)
    }

    static func params(_ trial: [String: Any]) -> [String: Any] { trial["params"] as? [String: Any] ?? [:] }

    /// A coordinator for `study` on `box`, without a dashboard, quick to stop.
    static func coordinator(_ study: String, _ box: Sandbox, name: String) throws -> SextantProcess {
        try SextantProcess(["coordinator", study, "--bind", box.endpoint, "--no-dashboard", "--shutdown-grace", "1"],
                           in: box.directory, name: name)
    }

    @Test func aConfigurationEnqueuedIntoARunningCoordinatorIsRun() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 4))
        let coordinator = try Self.coordinator(studyPath, box, name: "c")
        defer { coordinator.kill() }
        #expect(await coordinator.waitForOutput("workers connect to"))
        // Trials wait for the test's go-ahead, so the study cannot end before the enqueue lands,
        // however slowly `sextant enqueue` starts on a loaded machine.
        let held = "while [ ! -e release ]; do sleep 0.05; done; echo loss=$SEXTANT_PARAM_X"
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", held], in: box.directory, name: "w")
        defer { worker.kill() }
        #expect(await coordinator.waitForOutput("trial 1 started"))
        let (status, out, err) = try await SextantProcess.run(
            ["enqueue", "x=1.5", "y=-2.5", "optimizer=adam"], in: box.directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("queued #1 in study e2e: x=1.5 y=-2.5 optimizer=adam"))
        _ = try box.write("release", "")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.count == 4)
        let enqueued = trials.filter { Self.params($0)["x"] as? Double == 1.5 && Self.params($0)["y"] as? Double == -2.5 }
        #expect(enqueued.count == 1)
        #expect(enqueued.first?["state"] as? String == "completed" && enqueued.first?["value"] as? Double == 1.5)
    }

    @Test func aConfigurationEnqueuedIntoAStoppedStudyRunsFirst() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 2))
        // The study exists in the database, and no trial has run yet.
        let first = try Self.coordinator(studyPath, box, name: "c1")
        #expect(await first.waitForOutput("workers connect to"))
        first.kill()
        #expect(first.process.terminationStatus == 0, "\(first.stderr)")

        let (status, out, err) = try await SextantProcess.run(["enqueue", "--study", "e2e", "optimizer=momentum", "x=-1"],
                                                              in: box.directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("(the optimizer chooses y)"))
        let coordinator = try Self.coordinator(studyPath, box, name: "c2")
        defer { coordinator.kill() }
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", "echo loss=$SEXTANT_PARAM_Y"],
                                        in: box.directory, name: "w")
        defer { worker.kill() }
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.count == 2)
        let firstTrial = Self.params(try #require(trials.first))
        #expect(firstTrial["optimizer"] as? String == "momentum" && firstTrial["x"] as? Double == -1)
        let y = try #require(firstTrial["y"] as? Double)
        #expect(y >= -3 && y <= 3)
    }

    @Test func retryFailedAfterARestartRunsTheTrialAgainAndKeepsItsFirstAttempt() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 2))
        // The first run of trial 1 fails and leaves a marker; any later run succeeds.
        let script = """
            if [ "$SEXTANT_TRIAL_ID" = 1 ] && [ ! -e marker ]; then
              touch marker; echo loss=7 step=1; echo "first run breaks" >&2; exit 1
            fi
            echo loss=0.5
            """
        let command = ["worker", box.endpoint, "--", "sh", "-c", script]
        let first = try Self.coordinator(studyPath, box, name: "c1")
        let worker = try SextantProcess(command, in: box.directory, name: "w1")
        #expect(await first.wait() == 0, "coordinator: \(first.stderr)")
        _ = await worker.wait(timeout: .seconds(15))
        let before = try await box.exportedTrials()
        #expect(before.map { $0["state"] as? String } == ["failed", "completed"])

        let (status, out, err) = try await SextantProcess.run(["retry", "--failed"], in: box.directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("trial 1 (failed, attempt 1) queued to run again as attempt 2"))
        // The budget of two trials is spent, and the rerun runs all the same.
        let second = try Self.coordinator(studyPath, box, name: "c2")
        defer { second.kill() }
        let again = try SextantProcess(command, in: box.directory, name: "w2")
        defer { again.kill() }
        #expect(await second.wait() == 0, "coordinator: \(second.stderr)")
        #expect(second.stdout.contains("study finished: 2 trials"))

        let trials = try await box.exportedTrials()
        #expect(trials.count == 2)
        let retried = try #require(trials.first)
        #expect(retried["state"] as? String == "completed" && retried["attempt"] as? Int == 2)
        #expect(retried["value"] as? Double == 0.5 && retried["reason"] is NSNull)
        let earlier = try #require(retried["earlier_attempts"] as? [[String: Any]])
        #expect(earlier.count == 1)
        #expect(earlier.first?["attempt"] as? Int == 1 && earlier.first?["state"] as? String == "failed")
        #expect(earlier.first?["reason"] as? String == "exited with status 1")
        #expect((earlier.first?["stderr_tail"] as? String)?.contains("first run breaks") == true)
        #expect(earlier.first?["worker"] is String && earlier.first?["started_at"] is String)
        #expect((earlier.first?["reports"] as? [[Double]]) == [[1, 7]])
        #expect(trials[1]["earlier_attempts"] == nil)

        let (_, table, _) = try await SextantProcess.run(["status"], in: box.directory)
        #expect(table.contains("study e2e (finished): 2/2 finished, 2 completed"))
        #expect(table.contains("trial 1 attempt 1: failed at step 1 on "), "\(table)")
        #expect(table.contains("[exited with status 1]"))
        // Nothing failed is left.
        let (again2, _, nothing) = try await SextantProcess.run(["retry", "--failed"], in: box.directory)
        #expect(again2 == 2 && nothing == "error: nothing to retry: study e2e has no failed trial that is not already queued\n")
    }

    @Test func badInputGetsOneLineAndANonZeroExit() async throws {
        let box = try Sandbox()
        // The trial runs (and must not time out) for as long as the ten commands below take,
        // however slowly they start on a loaded machine.
        let studyPath = try box.write("study.yaml", Self.study(trials: 2, timeout: 600))
        let coordinator = try Self.coordinator(studyPath, box, name: "c")
        defer { coordinator.kill() }
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", "sleep 600"], in: box.directory, name: "w")
        defer { worker.kill() }
        #expect(await coordinator.waitForOutput("trial 1 started"))
        let cases: [([String], String)] = [
            (["enqueue", "lr=0.1"], "error: enqueue: lr=0.1: unknown parameter; expected one of x, y, optimizer"),
            (["enqueue", "x=5"], "error: enqueue: x=5: must be between -2.0 and 2.0, not 5.0"),
            (["enqueue", "x=small"], "error: enqueue: x=small: must be a number, not 'small'"),
            (["enqueue", "optimizer=rmsprop"], "error: enqueue: optimizer=rmsprop: must be one of sgd, momentum, adam, not 'rmsprop'"),
            (["enqueue", "x"], "error: enqueue: 'x' is not NAME=VALUE"),
            (["enqueue", "--study", "other", "x=1"], "error: no study named 'other' in sextant.db"),
            (["retry", "--trial", "42"], "error: study e2e has no trial 42"),
            (["retry", "--trial", "1"], "error: trial 1 is running; only a trial that is not running can be run again"),
            (["retry", "--failed"], "error: nothing to retry: study e2e has no failed trial that is not already queued"),
        ]
        for (arguments, message) in cases {
            let (status, out, err) = try await SextantProcess.run(arguments, in: box.directory)
            #expect(status == 2, "\(arguments): \(err)")
            #expect(err == message + "\n", "\(arguments)")
            #expect(out.isEmpty)
        }
        let (status, _, err) = try await SextantProcess.run(["enqueue", "x=1"], in: box.directory.appendingPathComponent(".."))
        #expect(status != 0 && err.hasPrefix("error: no study database at sextant.db") && err.split(separator: "\n").count == 1)
        // Nothing was queued.
        let trials = try await box.exportedTrials()
        #expect(trials.count <= 2 && trials.allSatisfy { $0["state"] as? String == "running" })
    }
}
