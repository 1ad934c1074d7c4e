import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The dashboard of a real coordinator process: `/api`, `/metrics`, the token, `status --url`,
/// and the page as a real headless browser renders it.
@Suite(.timeLimit(.minutes(3))) struct DashboardEndToEndTests {
    struct HTTPReply {
        var status: Int
        var body: String
        var headers: [AnyHashable: Any]
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    static func http(_ url: String, method: String = "GET", headers: [String: String] = [:]) async throws -> HTTPReply {
        var request = URLRequest(url: try #require(URL(string: url)), timeoutInterval: 10)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return HTTPReply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: http.allHeaderFields)
    }

    /// The `dashboard http://...` line the coordinator prints once the server listens.
    static func dashboardURL(of coordinator: SextantProcess) async throws -> String {
        for _ in 0..<600 {
            if let line = coordinator.stdout.split(separator: "\n").first(where: { $0.hasPrefix("dashboard http://") }) {
                return String(line.dropFirst("dashboard ".count))
            }
            if !coordinator.process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the coordinator printed no dashboard address: \(coordinator.stdout) \(coordinator.stderr)")
        throw CancellationError()
    }

    static let study = """
        name: dash
        metric: {name: loss, goal: minimize}
        budget: {trials: 22}
        optimizer: {kind: random, seed: 5}
        pruner: {kind: median, startup_trials: 3}
        trial_timeout_seconds: 60
        parameters:
          x: {type: float, low: -2.0, high: 2.0}
          lr: {type: float, low: 0.0001, high: 0.1, log: true}
          opt: {type: categorical, values: [sgd, adam]}
        """

    /// Three reports per trial. Trials after the 16th report a value better than any other
    /// (so the median rule keeps them) and then wait for a `release` file: the study stays
    /// open with 16 finished and 2 running while the test looks at it.
    static let trainer = """
        import math, os, sys, time
        x, lr, opt = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
        held = int(os.environ["SEXTANT_TRIAL_ID"]) > 16
        for step in (1, 2, 3):
            loss = -10 - step if held else x * x + abs(math.log10(lr) + 2) + (0.5 if opt == "sgd" else 0) + 1 / step
            print(f"loss={loss} step={step}", flush=True)
            time.sleep(0.05)
        while held and not os.path.exists("release"):
            time.sleep(0.05)
        """

    /// A coordinator and one two-slot worker on `study` with `trainer`, held with 16 trials finished
    /// and the 2 running ones having made their reports, until `release` is called.
    struct HeldStudy {
        let box: Sandbox
        let coordinator: SextantProcess
        let worker: SextantProcess
        /// The dashboard's address, ending in `/`.
        let base: String
        /// `/api/study` once the study is held.
        let study: [String: Any]

        static func start() async throws -> HeldStudy {
            let box = try Sandbox()
            let studyPath = try box.write("study.yaml", DashboardEndToEndTests.study)
            let script = try box.write("curve.py", DashboardEndToEndTests.trainer)
            let coordinator = try SextantProcess(
                ["coordinator", studyPath, "--bind", box.endpoint, "--dashboard", "127.0.0.1:0"], in: box.directory, name: "c")
            let base: String
            do {
                base = try await DashboardEndToEndTests.dashboardURL(of: coordinator)
            } catch {
                coordinator.kill()
                throw error
            }
            let worker = try SextantProcess(
                ["worker", box.endpoint, "--name", "w1", "--slots", "2", "--", "python3", script, "{x}", "{lr}", "{opt}"],
                in: box.directory, name: "w")
            var study: [String: Any] = [:]
            for _ in 0..<1200 {
                study = try await DashboardEndToEndTests.http(base + "api/study").json as? [String: Any] ?? [:]
                let counts = study["counts"] as? [String: Int] ?? [:]
                if study["finished"] as? Int == 16 && counts["running"] == 2 {
                    let trials = try await DashboardEndToEndTests.http(base + "api/trials").json as? [[String: Any]] ?? []
                    let held = trials.filter { $0["state"] as? String == "running" }
                    if held.allSatisfy({ ($0["reports"] as? [Any])?.count == 3 }) { break }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return HeldStudy(box: box, coordinator: coordinator, worker: worker, base: base, study: study)
        }

        /// Lets the held trials end; the study then finishes.
        func release() {
            _ = FileManager.default.createFile(atPath: box.directory.appendingPathComponent("release").path, contents: nil)
        }

        func kill() {
            worker.kill()
            coordinator.kill()
        }
    }

    @Test func aRunningStudyIsServedAsAPIAndMetrics() async throws {
        let held = try await HeldStudy.start()
        defer { held.kill() }
        let (box, coordinator, worker, base, study) = (held.box, held.coordinator, held.worker, held.base, held.study)
        #expect(base.hasPrefix("http://127.0.0.1:") && !base.contains("token"))
        #expect(try await Self.http(base + "healthz").body == "ok\n")
        #expect(try await Self.http(base + "api/workers").json as? [Any] != nil)

        #expect(study["finished"] as? Int == 16, "\(study)")
        #expect(study["name"] as? String == "dash")
        #expect(study["goal"] as? String == "minimize")
        #expect((study["budget"] as? [String: Any])?["trials"] as? Int == 22)
        let space = try #require(study["space"] as? [[String: Any]])
        #expect(space.map { $0["name"] as? String } == ["x", "lr", "opt"])
        #expect(space[1]["log"] as? Bool == true)
        #expect(study["eta_seconds"] as? Double != nil)
        #expect(study["spec"] as? [String: Any] != nil)

        let trials = try #require(try await Self.http(base + "api/trials").json as? [[String: Any]])
        #expect(trials.count == 18)
        let running = trials.filter { $0["state"] as? String == "running" }.compactMap { $0["id"] as? Int }.sorted()
        #expect(running == [17, 18])
        let scored = trials.filter { ["completed", "pruned"].contains($0["state"] as? String ?? "") }
        #expect(scored.count == 16)
        for trial in scored {
            let reports = try #require(trial["reports"] as? [[Double]])
            #expect(!reports.isEmpty && reports.map { Int($0[0]) } == Array(1...reports.count))
            #expect(reports.last?[1] == trial["value"] as? Double)
        }
        let completed = trials.filter { $0["state"] as? String == "completed" }
        let bestValue = completed.compactMap { $0["value"] as? Double }.min()
        let best = try #require(study["best"] as? [String: Any])
        #expect(best["value"] as? Double == bestValue)
        if completed.count >= 6 {
            let importance = try #require(study["importance"] as? [String: Double])
            #expect(Set(importance.keys) == ["x", "lr", "opt"])
            #expect(abs(importance.values.reduce(0, +) - 1) < 1e-9)
        }

        let workers = try #require(try await Self.http(base + "api/workers").json as? [[String: Any]])
        #expect(workers.count == 1)
        #expect(workers.first?["name"] as? String == "w1")
        #expect(workers.first?["slots"] as? Int == 2)
        #expect((workers.first?["running"] as? [Int])?.sorted() == [17, 18])
        let host = workers.first?["host"] as? String ?? ""
        #expect(!host.isEmpty)
        #expect((workers.first?["last_heartbeat_seconds"] as? Double ?? 99) < 10)

        let metrics = try await Self.http(base + "metrics")
        #expect((metrics.headers["Content-Type"] as? String ?? "").hasPrefix("text/plain; version=0.0.4"))
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains("sextant_trials{study=\"dash\",state=\"running\"} 2"))
        #expect(lines.contains("sextant_trials{study=\"dash\",state=\"completed\"} \(completed.count)"))
        #expect(lines.contains("sextant_workers_connected{study=\"dash\"} 1"))
        #expect(lines.contains { $0.hasPrefix("sextant_suggest_latency_seconds_count{study=\"dash\"} ") })
        #expect(lines.contains { $0.hasPrefix("sextant_best_value{study=\"dash\",metric=\"loss\",goal=\"minimize\"} ") })

        // Read-only: nothing but GET is served.
        #expect(try await Self.http(base + "api/study", method: "POST").status != 200)
        #expect(try await Self.http(base + "api/trials", method: "DELETE").status != 200)

        let (status, table, err) = try await SextantProcess.run(["status", "--url", base], in: box.directory)
        #expect(status == 0, "\(err)")
        #expect(table.contains("16/22 finished"))
        #expect(table.contains("w1") && table.contains("#17 #18"), "\(table)")

        held.release()
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0)

        // The live terminal view from the database: it draws a frame and ends with the study.
        let (watched, view, watchErr) = try await SextantProcess.run(["status", "--watch"], in: box.directory)
        #expect(watched == 0, "\(watchErr)")
        #expect(view.contains("[##############################] 22/22 finished"), "\(view)")
        #expect(view.contains("best so far #"))
    }

    /// The headless browser of this machine, if any.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Loads the page of a held study in headless Chromium, checks the DOM after its scripts ran,
    /// and saves a screenshot under `.build/test-artifacts/`.
    @Test(.enabled(if: chromium != nil, "the browser check of the dashboard needs chromium (apt-get install chromium)"))
    func thePageRendersTheStudyInAHeadlessBrowser() async throws {
        let chromium = try #require(Self.chromium)
        let held = try await HeldStudy.start()
        defer { held.kill() }
        let (box, base) = (held.box, held.base)
        #expect(held.study["finished"] as? Int == 16, "\(held.study)")
        let trials = try #require(try await Self.http(base + "api/trials").json as? [[String: Any]])
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--user-data-dir=\(box.directory.path)/chromium", "--virtual-time-budget=6000"]
        let dom = try await Self.run(chromium, common + ["--dump-dom", base], in: box.directory)
        func count(_ needle: String) -> Int { dom.components(separatedBy: needle).count - 1 }
        func points(_ id: String) -> Int? {
            guard let range = dom.range(of: "id=\"\(id)\"") else { return nil }
            let tag = dom[dom[..<range.lowerBound].lastIndex(of: "<")!...].prefix { $0 != ">" }
            guard let attribute = tag.range(of: "data-points=\"") else { return nil }
            return Int(tag[attribute.upperBound...].prefix { $0 != "\"" })
        }
        #expect(dom.contains("data-rendered=\"\(trials.count)\""), "the page did not render: \(dom.prefix(2000))")
        let scored = trials.filter { ["completed", "pruned"].contains($0["state"] as? String ?? "") }
        #expect(points("history-plot") == scored.count)
        for name in ["x", "lr", "opt"] { #expect(points("slice-\(name)") == scored.count, "slice of \(name)") }
        #expect(points("curves-plot") == trials.count { !(($0["reports"] as? [Any]) ?? []).isEmpty })
        #expect(points("parallel-plot") == trials.count { $0["state"] as? String == "completed" })
        #expect(count("class=\"pruned-mark\"") == trials.count { $0["state"] as? String == "pruned" })
        #expect(count("class=\"trial-row\"") == trials.count)
        #expect(count("class=\"worker-row\"") == 1)
        #expect(dom.contains("(log)"), "the lr slice has a log axis")

        let artifacts = SextantProcess.root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let shot = artifacts.appendingPathComponent("dashboard.png").path
        try? FileManager.default.removeItem(atPath: shot)
        _ = try await Self.run(chromium, common + ["--hide-scrollbars", "--window-size=1400,2300", "--screenshot=\(shot)", base],
                          in: box.directory)
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "screenshot \(shot) is \(size) bytes")
        print("dashboard screenshot: \(shot)")

        held.release()
        #expect(await held.coordinator.wait() == 0, "coordinator: \(held.coordinator.stderr)")
    }

    static func run(_ executable: String, _ arguments: [String], in directory: URL) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = directory.appendingPathComponent("browser-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    @Test func beyondLoopbackTheDashboardWantsItsToken() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study)
        let coordinator = try SextantProcess(
            ["coordinator", studyPath, "--bind", box.endpoint, "--dashboard", "0.0.0.0:0"], in: box.directory, name: "c")
        defer { coordinator.kill() }
        let shown = try await Self.dashboardURL(of: coordinator)
        let token = try #require(shown.components(separatedBy: "?token=").last)
        #expect(token.count >= 32, "a generated token: \(shown)")
        // Hex digits only: it can follow `--token` on a command line (never read as an option).
        #expect(token.allSatisfy { $0.isHexDigit }, "a generated token: \(shown)")
        let port = try #require(shown.split(separator: ":").last?.split(separator: "/").first)
        let base = "http://127.0.0.1:\(port)/"

        #expect(try await Self.http(base + "api/study").status == 401)
        #expect(try await Self.http(base).status == 401)
        #expect(try await Self.http(base + "metrics?token=wrong").status == 401)
        #expect(try await Self.http(base + "healthz").status == 200)
        let page = try await Self.http(base + "?token=\(token)")
        #expect(page.status == 200 && page.body.contains("/api/study"))
        #expect((page.headers["Set-Cookie"] as? String ?? "").contains("sextant_token=\(token)"))
        #expect(try await Self.http(base + "api/study", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(try await Self.http(base + "api/trials", headers: ["Cookie": "sextant_token=\(token)"]).status == 200)

        let (denied, _, message) = try await SextantProcess.run(["status", "--url", base], in: box.directory)
        #expect(denied == 1 && message.contains("token"), "\(message)")
        let (allowed, table, err) = try await SextantProcess.run(["status", "--url", base, "--token", token], in: box.directory)
        #expect(allowed == 0, "\(err)")
        #expect(table.contains("study dash (running): 0/22 finished") && table.contains("no worker connected"), "\(table)")

        coordinator.process.interrupt()
        #expect(await coordinator.wait(timeout: .seconds(30)) == 0, "\(coordinator.stderr)")
    }
}
