import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `sextant dashboard --db`: the coordinator's page and API served from a study database alone,
/// after the study ended or beside the coordinator that runs it.
@Suite(.timeLimit(.minutes(3))) struct DatabaseDashboardEndToEndTests {
    typealias Web = DashboardEndToEndTests

    static func study(_ name: String, trials: Int) -> String {
        """
        name: \(name)
        metric: {name: loss, goal: minimize}
        budget: {trials: \(trials)}
        optimizer: {kind: random, seed: 5}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """
    }

    /// Runs study `name` to its end in `db`, with one worker whose trials report `loss=x`.
    static func runStudy(_ name: String, trials: Int, db: String, in box: Sandbox) async throws {
        let path = try box.write("\(name).yaml", study(name, trials: trials))
        let coordinator = try SextantProcess(["coordinator", path, "--bind", box.endpoint, "--db", db, "--no-dashboard"],
                                             in: box.directory, name: "c-\(name)")
        defer { coordinator.kill() }
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", "echo loss=$SEXTANT_PARAM_X"],
                                        in: box.directory, name: "w-\(name)")
        defer { worker.kill() }
        #expect(await coordinator.wait() == 0, "coordinator of \(name): \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker of \(name): \(worker.stderr)")
    }

    /// Starts `sextant dashboard` with `arguments` and returns it with its address (ending in `/`).
    static func startDashboard(_ arguments: [String], in box: Sandbox, name: String = "d") async throws
        -> (SextantProcess, String) {
        let dashboard = try SextantProcess(["dashboard", "--bind", "127.0.0.1:0"] + arguments, in: box.directory, name: name)
        do {
            return (dashboard, try await Web.dashboardURL(of: dashboard))
        } catch {
            dashboard.kill()
            throw error
        }
    }

    static func json(_ url: String) async throws -> Any? { try await Web.http(url).json }

    @Test func aFinishedStudyIsServedFromItsDatabaseWhichStaysAsItWas() async throws {
        let box = try Sandbox()
        try await Self.runStudy("done", trials: 5, db: "done.db", in: box)
        let file = box.directory.appendingPathComponent("done.db")
        let before = try Data(contentsOf: file)

        let (dashboard, base) = try await Self.startDashboard(["--db", "done.db"], in: box)
        defer { dashboard.kill() }
        #expect(dashboard.stdout.contains("reading done.db (read-only): study done;"), "\(dashboard.stdout)")
        let study = try #require(try await Self.json(base + "api/study") as? [String: Any])
        #expect(study["name"] as? String == "done" && study["state"] as? String == "finished", "\(study)")
        #expect(study["finished"] as? Int == 5)
        #expect(study["coordinator_started_at"] == nil && study["stopping"] == nil, "no coordinator: \(study)")
        let trials = try #require(try await Self.json(base + "api/trials") as? [[String: Any]])
        let exported = try await box.exportedTrials(db: "done.db")
        #expect(trials.count == 5 && trials.allSatisfy { $0["state"] as? String == "completed" })
        #expect(trials.compactMap { $0["value"] as? Double } == exported.compactMap { $0["value"] as? Double })
        #expect(trials.allSatisfy { ($0["reports"] as? [[Double]])?.count == 1 })
        let best = try #require(study["best"] as? [String: Any])
        #expect(best["value"] as? Double == trials.compactMap { $0["value"] as? Double }.min())
        #expect(try await Self.json(base + "api/workers") as? [Any] != nil)
        #expect((try await Self.json(base + "api/workers") as? [Any])?.isEmpty == true)
        let studies = try #require(try await Self.json(base + "api/studies") as? [[String: Any]])
        #expect(studies.map { $0["name"] as? String } == ["done"] && studies.first?["trials"] as? Int == 5)
        let page = try await Web.http(base)
        #expect(page.status == 200 && page.body.contains("/api/study") && page.body.contains("study-select"))
        let metrics = try await Web.http(base + "metrics").body
        #expect(metrics.contains("sextant_trials{study=\"done\",state=\"completed\"} 5"), "\(metrics)")
        #expect(try await Web.http(base + "api/study", method: "POST").status != 200)
        // `status --url` reads it as it reads a coordinator's.
        let (code, table, err) = try await SextantProcess.run(["status", "--url", base], in: box.directory)
        #expect(code == 0, "\(err)")
        #expect(table.contains("study done (finished): 5/5 finished"), "\(table)")

        dashboard.process.terminate()
        #expect(await dashboard.wait(timeout: .seconds(15)) == 0, "\(dashboard.stderr)")
        #expect(try Data(contentsOf: file) == before, "the dashboard wrote to the database")
        #expect(dashboard.stderr.isEmpty, "\(dashboard.stderr)")
    }

    @Test func eachStudyOfADatabaseCanBeChosen() async throws {
        let box = try Sandbox()
        try await Self.runStudy("alpha", trials: 3, db: "two.db", in: box)
        try await Self.runStudy("beta", trials: 4, db: "two.db", in: box)

        let (dashboard, base) = try await Self.startDashboard(["--db", "two.db"], in: box)
        defer { dashboard.kill() }
        #expect(dashboard.stdout.contains("study beta and 1 more to choose from"), "\(dashboard.stdout)")
        let studies = try #require(try await Self.json(base + "api/studies") as? [[String: Any]])
        #expect(studies.map { $0["name"] as? String } == ["alpha", "beta"])
        #expect(studies.map { $0["trials"] as? Int } == [3, 4])
        #expect(studies.allSatisfy { $0["state"] as? String == "finished" && $0["created_at"] as? String != nil })
        // The most recent by default, any by name.
        #expect((try await Self.json(base + "api/study") as? [String: Any])?["name"] as? String == "beta")
        #expect((try await Self.json(base + "api/trials") as? [Any])?.count == 4)
        let alpha = try #require(try await Self.json(base + "api/study?study=alpha") as? [String: Any])
        #expect(alpha["name"] as? String == "alpha" && alpha["finished"] as? Int == 3)
        #expect((try await Self.json(base + "api/trials?study=alpha") as? [Any])?.count == 3)
        #expect(try await Web.http(base + "metrics?study=alpha").body.contains("sextant_trials{study=\"alpha\",state=\"completed\"} 3"))
        let unknown = try await Web.http(base + "api/trials?study=gamma")
        #expect(unknown.status == 404)
        #expect(unknown.body.contains("no study named 'gamma'; studies: alpha, beta"), "\(unknown.body)")

        // --study chooses the one shown without ?study=.
        let (chosen, chosenBase) = try await Self.startDashboard(["--db", "two.db", "--study", "alpha"], in: box, name: "d2")
        defer { chosen.kill() }
        #expect((try await Self.json(chosenBase + "api/study") as? [String: Any])?["name"] as? String == "alpha")
        #expect((try await Self.json(chosenBase + "api/study?study=beta") as? [String: Any])?["name"] as? String == "beta")
    }

    /// Loads the page of a two-study database in headless Chromium: the choice of studies, the
    /// chosen study's plots, and the workers as the database knows them.
    @Test(.enabled(if: Web.chromium != nil, "the browser check of the dashboard needs chromium (apt-get install chromium)"))
    func thePageOffersTheStudiesInAHeadlessBrowser() async throws {
        let chromium = try #require(Web.chromium)
        let box = try Sandbox()
        try await Self.runStudy("alpha", trials: 3, db: "two.db", in: box)
        try await Self.runStudy("beta", trials: 4, db: "two.db", in: box)
        let (dashboard, base) = try await Self.startDashboard(["--db", "two.db"], in: box)
        defer { dashboard.kill() }
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--user-data-dir=\(box.directory.path)/chromium", "--virtual-time-budget=6000"]
        for (query, name, shown) in [("", "beta", 4), ("?study=alpha", "alpha", 3)] {
            let dom = try await Web.run(chromium, common + ["--dump-dom", base + query], in: box.directory)
            func count(_ needle: String) -> Int { dom.components(separatedBy: needle).count - 1 }
            #expect(dom.contains("data-rendered=\"\(shown)\""), "\(name) did not render: \(dom.prefix(2000))")
            #expect(dom.contains("Sextant · \(name)"))
            #expect(count("<option ") == 2 && dom.contains("alpha (finished, 3 trials)"), "\(dom.prefix(3000))")
            #expect(count("class=\"trial-row\"") == shown)
            #expect(count("data-points=\"\(shown)\"") >= 1, "the history plot shows every trial")
            #expect(dom.contains("no coordinator attached"))
            #expect(count("class=\"stored-worker-row\"") == 1 && count("class=\"worker-row\"") == 0,
                    "one stored worker for \(name): \(dom.components(separatedBy: "id=\"workers\"").last?.prefix(1500) ?? "")")
        }
    }

    @Test func badInputIsOneLineAndANonZeroExit() async throws {
        let box = try Sandbox()
        func expectOneLine(_ arguments: [String], status: Int32, _ text: String) async throws {
            let (code, out, err) = try await SextantProcess.run(["dashboard", "--bind", "127.0.0.1:0"] + arguments, in: box.directory)
            #expect(code == status, "\(arguments): \(err)")
            #expect(out.isEmpty, "\(arguments): \(out)")
            let lines = err.split(separator: "\n")
            #expect(lines.count == 1 && err.hasPrefix("error: ") && err.contains(text), "\(arguments): \(err)")
        }
        try await expectOneLine(["--db", "missing.db"], status: 2, "no study database at missing.db")
        _ = try box.write("notes.db", String(repeating: "not a database\n", count: 100))
        try await expectOneLine(["--db", "notes.db"], status: 2, "notes.db is not a Sextant study database")

        try await Self.runStudy("one", trials: 1, db: "one.db", in: box)
        try await expectOneLine(["--db", "one.db", "--study", "two"], status: 2, "no study named 'two' in one.db; it holds: one")

        let (first, base) = try await Self.startDashboard(["--db", "one.db"], in: box)
        defer { first.kill() }
        let port = try #require(base.split(separator: ":").last?.split(separator: "/").first)
        let (code, _, err) = try await SextantProcess.run(["dashboard", "--db", "one.db", "--bind", "127.0.0.1:\(port)"],
                                                         in: box.directory)
        #expect(code == 1, "\(err)")
        #expect(err.split(separator: "\n").count == 1 && err.hasPrefix("error: cannot serve the dashboard on 127.0.0.1:\(port)"),
                "\(err)")
        #expect(err.contains("--bind HOST:PORT"))
        #expect(first.process.isRunning)
    }

    @Test func itKeepsServingBesideTheCoordinatorThatHoldsTheStudysLock() async throws {
        let box = try Sandbox()
        // The study exists before the dashboard starts: two trials run, then the budget grows to four.
        try await Self.runStudy("live", trials: 2, db: "live.db", in: box)
        let path = try box.write("live.yaml", Self.study("live", trials: 4))
        let arguments = ["coordinator", path, "--bind", box.endpoint, "--db", "live.db", "--no-dashboard"]
        let lockFile = box.directory.appendingPathComponent("live.db.live.lock").path

        let (dashboard, base) = try await Self.startDashboard(["--db", "live.db"], in: box)
        defer { dashboard.kill() }
        let ended = try #require(try await Self.json(base + "api/study") as? [String: Any])
        #expect(ended["state"] as? String == "finished" && ended["finished"] as? Int == 2, "\(ended)")

        // The dashboard holds no lock: the coordinator takes the study's while it serves.
        let coordinator = try SextantProcess(arguments, in: box.directory, name: "c1")
        defer { coordinator.kill() }
        #expect(await coordinator.waitForOutput("workers connect to"), "\(coordinator.stderr)")
        #expect(FileManager.default.fileExists(atPath: lockFile))
        // Trials after the second stay running until the test lets them end.
        let held = #"echo loss=$SEXTANT_PARAM_X; if [ "$SEXTANT_TRIAL_ID" -gt 2 ]; then while [ ! -e release ]; do sleep 0.05; done; fi"#
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", held], in: box.directory, name: "w")
        defer { worker.kill() }

        func study(until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
            var study: [String: Any] = [:]
            for _ in 0..<600 {
                study = try await Self.json(base + "api/study") as? [String: Any] ?? [:]
                if done(study) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return study
        }
        let running = try await study { ($0["counts"] as? [String: Int])?["running"] == 1 }
        #expect(running["state"] as? String == "running" && running["finished"] as? Int == 2, "\(running)")
        #expect((running["counts"] as? [String: Int])?["running"] == 1, "\(running)")
        #expect(coordinator.process.isRunning && FileManager.default.fileExists(atPath: lockFile))
        let trials = try #require(try await Self.json(base + "api/trials") as? [[String: Any]])
        #expect(trials.first { $0["state"] as? String == "running" }?["worker"] as? String != nil)

        _ = FileManager.default.createFile(atPath: box.directory.appendingPathComponent("release").path, contents: nil)
        let finished = try await study { $0["state"] as? String == "finished" && $0["finished"] as? Int == 4 }
        #expect(finished["finished"] as? Int == 4, "the dashboard shows the study's progress: \(finished)")
        #expect(await coordinator.wait() == 0, "\(coordinator.stderr)")
        #expect(coordinator.stdout.contains("study finished: 4 trials"))
        #expect(!FileManager.default.fileExists(atPath: lockFile))
        #expect(try await Web.http(base + "healthz").body == "ok\n" && dashboard.process.isRunning)
    }
}
