import Foundation
import Testing

/// A study with two objectives and a constraint, run by the real coordinator and a worker with two
/// slots: every value reaches the store, a trial that leaves one out fails with the reason, and the
/// Pareto front is the same in export, status, the summary, /metrics and the dashboard.
@Suite(.timeLimit(.minutes(4))) struct MultiObjectiveEndToEndTests {
    typealias Web = DashboardEndToEndTests
    static let study = """
        name: tradeoff
        metrics:
          - {name: loss, goal: minimize}
          - {name: speed, goal: maximize}
        constraints:
          - {name: size, max: 60}
        budget: {trials: 16}
        optimizer: {kind: gp-ei, seed: 5, initial_trials: 6}
        trial_timeout_seconds: 30
        initial_configurations:
          - {x: 0.99, y: 0.5}
        parameters:
          x: {type: float, low: 0, high: 1}
          y: {type: float, low: 0, high: 1}
        """

    /// loss and speed pull x apart; size = 100·y is constrained. x above 0.98 forgets to print speed.
    static let script = """
        import sys
        x, y = float(sys.argv[1]), float(sys.argv[2])
        for epoch in (1, 2):
            print("epoch=%d loss=%f" % (epoch, (x - 0.2) ** 2 + 0.3 * y + 0.1 / epoch))
        if x <= 0.98:
            print("speed=%f" % (x + 0.5 * y))
        print("size=%f" % (100 * y))
        """

    @Test func theFrontIsFoundStoredAndShownEverywhere() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study)
        let scriptPath = try box.write("train.py", Self.script)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--slots", "2", "--", "python3", scriptPath, "{x}", "{y}"],
                                        in: box.directory, name: "w")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")

        let (_, json, _) = try await SextantProcess.run(["export", "--format", "json"], in: box.directory)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let study = try #require(document["study"] as? [String: Any])
        let trials = try #require(document["trials"] as? [[String: Any]])
        #expect(trials.count == 16)

        // The trial that left out a value failed, saying which.
        let forgetful = try #require(trials.first { ($0["params"] as? [String: Any])?["x"] as? Double == 0.99 })
        #expect(forgetful["state"] as? String == "failed", "\(forgetful)")
        #expect((forgetful["reason"] as? String ?? "").contains("speed"), "\(forgetful)")

        // Every other trial completed with all three values; feasibility follows size ≤ 60.
        let completed = trials.filter { $0["state"] as? String == "completed" }
        #expect(completed.count == 15, "\(trials.map { ($0["state"] ?? "", $0["reason"] ?? "") })")
        var points: [(id: Int, loss: Double, speed: Double, feasible: Bool)] = []
        for trial in completed {
            let values = try #require(trial["values"] as? [String: Double], "\(trial)")
            let loss = try #require(values["loss"]), speed = try #require(values["speed"]), size = try #require(values["size"])
            #expect(trial["feasible"] as? Bool == (size <= 60), "\(trial)")
            points.append((try #require(trial["id"] as? Int), loss, speed, size <= 60))
        }
        #expect(points.contains { !$0.feasible } && points.contains { $0.feasible }, "both kinds: \(points)")

        // The front: the feasible trials no feasible trial beats on both (loss down, speed up).
        let feasible = points.filter(\.feasible)
        let expected = Set(feasible.filter { p in
            !feasible.contains { q in q.loss <= p.loss && q.speed >= p.speed && (q.loss < p.loss || q.speed > p.speed) }
        }.map(\.id))
        #expect(!expected.isEmpty)
        let flagged = Set(trials.filter { $0["pareto"] as? Bool == true }.compactMap { $0["id"] as? Int })
        #expect(flagged == expected, "export flags \(flagged), expected \(expected)")
        #expect(Set(study["pareto_front"] as? [Int] ?? []) == expected, "\(study)")
        let hypervolume = try #require(study["hypervolume"] as? Double)
        #expect(hypervolume > 0)
        #expect(trials.allSatisfy { $0["pareto"] != nil }, "every trial says whether it is on the front")

        // The coordinator's summary and status list the front; CSV has a column per value.
        #expect(coordinator.stdout.contains("Pareto front: \(expected.count) trial"), "\(coordinator.stdout.suffix(1500))")
        for id in expected { #expect(coordinator.stdout.contains("  #\(id): loss="), "\(id) in the summary") }
        let (_, table, _) = try await SextantProcess.run(["status"], in: box.directory)
        #expect(table.contains("Pareto front: \(expected.count) trial") && table.contains("constraints size ≤ 60"), "\(table)")
        let (_, csv, _) = try await SextantProcess.run(["export", "--format", "csv"], in: box.directory)
        let header = csv.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.hasPrefix("id,state,value,loss,speed,size,pareto,feasible,step"), "\(header)")

        // The dashboard of the database: /metrics and the page, in headless Chromium.
        let (dashboard, base) = try await DatabaseDashboardEndToEndTests.startDashboard(["--db", "sextant.db"], in: box)
        defer { dashboard.kill() }
        let metrics = try await Web.http(base + "metrics").body
        #expect(metrics.contains("sextant_pareto_front_trials{study=\"tradeoff\"} \(expected.count)"), "\(metrics)")
        #expect(metrics.contains("sextant_hypervolume{study=\"tradeoff\"} "), "\(metrics)")
        let overview = try #require(try await DatabaseDashboardEndToEndTests.json(base + "api/study") as? [String: Any])
        let history = try #require(overview["hypervolume_history"] as? [[Double]])
        #expect(history.count == 16 && history.last?[1] == hypervolume, "\(history)")
        #expect(zip(history, history.dropFirst()).allSatisfy { $0[1] <= $1[1] }, "the hypervolume never falls: \(history)")
    }

    @Test(.enabled(if: Web.chromium != nil, "the browser check of the Pareto plot needs chromium (apt-get install chromium)"))
    func theDashboardDrawsTheFrontAndTheInfeasibleTrials() async throws {
        let chromium = try #require(Web.chromium)
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study.replacingOccurrences(of: "trials: 16", with: "trials: 10"))
        let scriptPath = try box.write("train.py", Self.script)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--", "python3", scriptPath, "{x}", "{y}"],
                                        in: box.directory, name: "w")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        _ = await worker.wait(timeout: .seconds(15))
        let trials = try await box.exportedTrials()
        let front = trials.count { $0["pareto"] as? Bool == true }
        let infeasible = trials.count { $0["feasible"] as? Bool == false }

        let (dashboard, base) = try await DatabaseDashboardEndToEndTests.startDashboard(["--db", "sextant.db"], in: box)
        defer { dashboard.kill() }
        let dom = try await Web.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                               "--no-first-run", "--user-data-dir=\(box.directory.path)/chromium",
                                               "--virtual-time-budget=6000", "--dump-dom", base], in: box.directory)
        #expect(dom.contains("id=\"pareto-plot\""), "\(dom.prefix(3000))")
        #expect(dom.contains("data-points=\"9\" data-front=\"\(front)\" data-infeasible=\"\(infeasible)\""),
                "9 completed trials, \(front) on the front, \(infeasible) infeasible")
        #expect(dom.contains("class=\"front-line\""))
        #expect(dom.contains("id=\"hypervolume-plot\"") && dom.contains("class=\"hypervolume-line\""))
        #expect(!dom.contains(">undefined<") && !dom.contains("=\"NaN") && !dom.contains(",NaN") && !dom.contains("NaN,"))
    }

    /// With several objectives the pruner compares the metric it names: a pruned trial keeps that
    /// metric's last report and has no final values; the others complete with all of them.
    @Test func thePrunerReadsTheMetricItNames() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", """
            name: pruned-tradeoff
            metrics:
              - {name: loss, goal: minimize}
              - {name: speed, goal: maximize}
            pruner: {kind: median, metric: loss, startup_trials: 2}
            budget: {trials: 12}
            optimizer: {kind: random, seed: 4}
            trial_timeout_seconds: 30
            parameters:
              x: {type: float, low: 0, high: 1}
            """)
        let scriptPath = try box.write("train.py", """
            import sys, time
            x = float(sys.argv[1])
            for epoch in (1, 2, 3, 4):
                print("loss=%f step=%d" % ((x + 0.1) * (1 + 1.0 / epoch), epoch), flush=True)
                time.sleep(0.05)
            print("speed=%f" % x)
            """)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        let worker = try SextantProcess(["worker", box.endpoint, "--", "python3", scriptPath, "{x}"], in: box.directory, name: "w")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        _ = await worker.wait(timeout: .seconds(15))
        let trials = try await box.exportedTrials()
        #expect(trials.count == 12)
        let pruned = trials.filter { $0["state"] as? String == "pruned" }
        let completed = trials.filter { $0["state"] as? String == "completed" }
        #expect(!pruned.isEmpty && !completed.isEmpty, "\(trials.map { ($0["state"] ?? "", $0["reason"] ?? "") })")
        for trial in pruned {
            #expect((trial["reason"] as? String ?? "").hasPrefix("median rule"), "\(trial)")
            #expect(trial["values"] == nil && trial["value"] is Double && trial["pareto"] as? Bool == false, "\(trial)")
        }
        for trial in completed {
            let values = try #require(trial["values"] as? [String: Double], "\(trial)")
            #expect(Set(values.keys) == ["loss", "speed"] && trial["step"] as? Int == 4)
        }
        // Loss grows with x and speed with it: every completed trial is on the front.
        #expect(completed.allSatisfy { $0["pareto"] as? Bool == true })
    }
}
