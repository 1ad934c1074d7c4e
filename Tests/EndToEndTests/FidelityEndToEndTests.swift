import Foundation
import Glibc
import Testing

/// Studies with a fidelity, run by real coordinator and worker processes: the command gets the
/// maximum step, reports per step, and the curve model stops poor trials and says why.
@Suite(.timeLimit(.minutes(3))) struct FidelityEndToEndTests {
    static func study(trials: Int, optimizer: String, stopProbability: Double = 0.2) -> String {
        """
        name: curves
        metric: {name: loss, goal: minimize}
        budget: {trials: \(trials)}
        optimizer: {kind: \(optimizer), seed: 3, initial_trials: 3}
        fidelity: {max_steps: 12, min_steps: 2, stop_probability: \(stopProbability)}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """
    }

    /// A training curve: loss(x, s) = 4 (x − 0.25)² + 0.3 / s, one report per step up to the
    /// maximum the worker passes (as an argument and in SEXTANT_MAX_STEPS, which must agree),
    /// 40 ms apart so decisions arrive while it runs. Each trial writes the maximum it got. While
    /// a file `hold` exists, a trial that reaches step 3 writes `held-<id>-3` and waits there;
    /// likewise `hold2` at step 8.
    static let script = """
        import os, sys, time
        x, steps = float(sys.argv[1]), int(sys.argv[2])
        assert os.environ["SEXTANT_MAX_STEPS"] == sys.argv[2], "SEXTANT_MAX_STEPS differs from {max_steps}"
        open("max-%s" % os.environ["SEXTANT_TRIAL_ID"], "w").write(sys.argv[2])
        for s in range(1, steps + 1):
            print("loss=%.6f step=%d" % (4 * (x - 0.25) ** 2 + 0.3 / s, s), flush=True)
            time.sleep(0.04)
            for hold, at in (("hold", 3), ("hold2", 8)):
                if s == at and os.path.exists(hold):
                    open("held-%s-%d" % (os.environ["SEXTANT_TRIAL_ID"], s), "w").close()
                    while os.path.exists(hold):
                        time.sleep(0.02)
        """

    static func worker(_ box: Sandbox, scriptPath: String, name: String = "w") throws -> SextantProcess {
        try SextantProcess(["worker", box.endpoint, "--name", name, "--", "python3", scriptPath, "{x}", "{max_steps}"],
                           in: box.directory, name: name)
    }

    static func modelStopped(_ trial: [String: Any]) -> Bool {
        trial["state"] as? String == "pruned" && (trial["reason"] as? String ?? "").hasPrefix("model at step")
    }

    @Test func theCurveModelChoosesAndStopsTrials() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 14, optimizer: "gp-ei"))
        let scriptPath = try box.write("curve.py", Self.script)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c")
        // Two slots: suggestions are made while another trial runs, and stop decisions reach
        // one command while the other goes on.
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "2", "--", "python3", scriptPath, "{x}", "{max_steps}"],
                                        in: box.directory, name: "w")
        #expect(await coordinator.wait(timeout: .seconds(120)) == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")
        #expect(coordinator.stdout.contains("fidelity: 12 steps"))

        let trials = try await box.exportedTrials()
        #expect(trials.count == 14)
        for trial in trials {
            let id = try #require(trial["id"] as? Int)
            let max = try? String(contentsOfFile: box.directory.appendingPathComponent("max-\(id)").path, encoding: .utf8)
            #expect(max == "12", "trial \(id) got max_steps \(max ?? "none")")
            if trial["state"] as? String == "completed" { #expect(trial["step"] as? Int == 12) }
        }
        let stopped = trials.filter(Self.modelStopped)
        #expect(!stopped.isEmpty, "no trial stopped by the model: \(trials.map { ($0["state"] ?? "", $0["reason"] ?? "") })")
        // Every stopped trial was judged against what the model expected of it, the first ones
        // too (their first reports came before there was a model), and that expectation is stored.
        let expected = Set(try Self.rows(box, "SELECT trial_id FROM curve_prior").map { $0[0] })
        for trial in stopped {
            let step = try #require(trial["step"] as? Int)
            #expect(step >= 2 && step < 12)
            let reason = trial["reason"] as? String ?? ""
            #expect(reason.contains("before its reports"), "\(reason)")
            #expect(expected.contains(try #require(trial["id"] as? Int)), "trial \(trial["id"] ?? "") has no stored expectation")
        }
        // The model's suggestions find the minimum at x = 0.25 among full runs.
        let best = trials.filter { $0["state"] as? String == "completed" }.compactMap { $0["value"] as? Double }.min()
        #expect((best ?? .infinity) < 0.025 + 0.01, "best completed \(best ?? .nan)")

        let (status, table, _) = try await SextantProcess.run(["status"], in: box.directory)
        #expect(status == 0)
        #expect(table.contains("[model at step"))
    }

    /// Rows of the study database, read with Python's sqlite3 (each row's columns joined by spaces).
    static func rows(_ box: Sandbox, _ query: String) throws -> [[Int]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sqlite3, sys
            for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row)
            """, box.directory.appendingPathComponent("sextant.db").path, query]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
    }

    @Test func stoppingGoesOnAfterTheCoordinatorRestarts() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 12, optimizer: "random"))
        let scriptPath = try box.write("curve.py", Self.script)
        let first = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c1")
        let worker = try Self.worker(box, scriptPath: scriptPath)
        func heldTrials(at step: Int) throws -> [Int] {
            try FileManager.default.contentsOfDirectory(atPath: box.directory.path).compactMap { name in
                let parts = name.split(separator: "-")
                return parts.count == 3 && parts[0] == "held" && parts[2] == "\(step)" ? Int(parts[1]) : nil
            }
        }
        // Killed without warning once 5 trials are finished and a running one, held at step 3, has
        // stored its 3 reports.
        #expect(await first.waitForOutput("[5/12]", timeout: .seconds(60)), "coordinator: \(first.stdout)")
        let hold = try box.write("hold", "")
        var held: Int?
        for _ in 0..<1000 where held == nil {
            let waiting = try heldTrials(at: 3)
            held = try Self.rows(box, """
                SELECT trial.id FROM report JOIN trial ON trial.id = report.trial_id
                WHERE trial.state = 'running' GROUP BY trial.id HAVING COUNT(*) = 3
                """).map { $0[0] }.first(where: waiting.contains)
            if held == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        kill(first.process.processIdentifier, SIGKILL)
        _ = await first.wait(timeout: .seconds(5))
        let running = try #require(held, "no running trial held at step 3 with its reports stored")
        let before = try await box.exportedTrials().filter { ["completed", "pruned"].contains($0["state"] as? String) }.count

        // With no coordinator, the held trial reports steps 4 to 8 and waits again; it goes on once
        // its worker has joined the new coordinator.
        let hold2 = try box.write("hold2", "")
        try FileManager.default.removeItem(atPath: hold)
        for _ in 0..<500 where try !heldTrials(at: 8).contains(running) { try await Task.sleep(for: .milliseconds(20)) }
        let second = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint], in: box.directory, name: "c2")
        #expect(await second.waitForOutput("worker w joined", timeout: .seconds(30)), "coordinator: \(second.stdout)")
        try FileManager.default.removeItem(atPath: hold2)
        #expect(await second.wait(timeout: .seconds(120)) == 0, "coordinator: \(second.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")
        let trials = try await box.exportedTrials()
        #expect(trials.filter { ["completed", "pruned", "failed"].contains($0["state"] as? String) }.count == 12)
        // The restarted coordinator rebuilt the model from the stored reports and kept stopping.
        let later = trials.filter { ($0["id"] as? Int ?? 0) > before + 1 }
        #expect(later.contains(where: Self.modelStopped),
                "after the restart: \(later.map { ($0["id"] ?? "", $0["state"] ?? "", $0["reason"] ?? "") })")
        // The trial that ran through the restart was reclaimed by its worker, with its whole curve:
        // the reports stored before, those made with no coordinator (sent again when the worker
        // rejoined), and those after.
        let steps = try Self.rows(box, "SELECT step FROM report WHERE trial_id = \(running) ORDER BY step").map { $0[0] }
        let last = try #require(trials.first { $0["id"] as? Int == running }?["step"] as? Int)
        #expect(last >= 8 && steps == Array(1...last), "trial \(running): steps \(steps), ended at \(last)")
        // What the model expected of each trial before its reports is stored, to judge it after a restart.
        let priors = try Self.rows(box, "SELECT trial_id FROM curve_prior").map { $0[0] }
        #expect(priors.count >= 3, "priors of trials \(priors)")
    }

    /// Trials 1-3 run their 12 steps at once; later ones report 3 steps and wait for `release`.
    static let heldScript = """
        import os, sys, time
        x, steps, held = float(sys.argv[1]), int(sys.argv[2]), int(os.environ["SEXTANT_TRIAL_ID"]) > 3
        for s in range(1, (3 if held else steps) + 1):
            print("loss=%.6f step=%d" % (4 * (x - 0.25) ** 2 + 0.3 / s, s), flush=True)
        while held and not os.path.exists("release"):
            time.sleep(0.05)
        """

    /// The dashboard of a live study shows each running trial's forecast: in `/api/trials`, and
    /// drawn on the learning-curve plot by a real headless browser when there is one.
    @Test func runningTrialsHaveAForecastOnTheDashboard() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study(trials: 6, optimizer: "random", stopProbability: 0))
        let scriptPath = try box.write("held.py", Self.heldScript)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--dashboard", "127.0.0.1:0"],
                                             in: box.directory, name: "c")
        let base = try await DashboardEndToEndTests.dashboardURL(of: coordinator)
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "2", "--", "python3", scriptPath, "{x}", "{max_steps}"],
                                        in: box.directory, name: "w")
        defer { worker.kill(); coordinator.kill() }
        var running: [[String: Any]] = []
        for _ in 0..<1200 {
            let trials = try await DashboardEndToEndTests.http(base + "api/trials").json as? [[String: Any]] ?? []
            // Trials 1-3 run straight through: the held ones (4 on) are those with a forecast from step 4.
            running = trials.filter { $0["state"] as? String == "running" && ($0["id"] as? Int ?? 0) > 3 }
            if running.count == 2, running.allSatisfy({ ($0["forecast"] as? [[Double]])?.isEmpty == false }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(running.count == 2)
        for trial in running {
            let forecast = try #require(trial["forecast"] as? [[Double]], "no forecast: \(trial)")
            #expect(forecast.first?[0] == 4 && forecast.last?[0] == 12, "\(forecast)")
            for point in forecast { #expect(point.count == 4 && point[2] <= point[1] && point[1] <= point[3], "\(point)") }
        }
        if let chromium = DashboardEndToEndTests.chromium {
            let dom = try await DashboardEndToEndTests.run(
                chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                           "--user-data-dir=\(box.directory.path)/chromium", "--virtual-time-budget=6000", "--dump-dom", base],
                in: box.directory)
            #expect(dom.contains("data-forecasts=\"2\""), "no forecasts drawn: \(dom.prefix(1500))")
            #expect(dom.components(separatedBy: "class=\"forecast-band\"").count - 1 == 2)
        }
        _ = FileManager.default.createFile(atPath: box.directory.appendingPathComponent("release").path, contents: nil)
        #expect(await coordinator.wait(timeout: .seconds(60)) == 0, "coordinator: \(coordinator.stderr)")
        // Ended trials carry no forecast.
        let trials = try await box.exportedTrials()
        #expect(trials.allSatisfy { $0["forecast"] == nil })
    }
}
