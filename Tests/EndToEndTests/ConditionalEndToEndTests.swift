import Foundation
import Testing

/// A study with conditional parameters, run by the real coordinator and worker: inactive
/// parameters reach the command as empty arguments and no variable, and show blank in exports.
@Suite(.timeLimit(.minutes(3))) struct ConditionalEndToEndTests {
    typealias Web = DashboardEndToEndTests
    static let study = """
        name: tree
        metric: {name: loss, goal: minimize}
        budget: {trials: 14}
        optimizer: {kind: gp-ei, seed: 3, initial_trials: 6}
        trial_timeout_seconds: 30
        parameters:
          optimizer: {type: categorical, values: [sgd, adam]}
          momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: [sgd]}}
          layers: {type: int, low: 1, high: 2}
          width2: {type: int, low: 8, high: 64, log: true, when: {layers: [2]}}
        """

    /// Exits 3 unless every parameter is present exactly when its condition holds, in the
    /// arguments and in the environment alike; else prints a loss.
    static let script = """
        import os, sys
        args = dict(a.split("=", 1) for a in sys.argv[1:])
        env = {k[len("SEXTANT_PARAM_"):].lower(): v for k, v in os.environ.items() if k.startswith("SEXTANT_PARAM_")}
        sgd, two = args["optimizer"] == "sgd", args["layers"] == "2"
        for name, active in (("momentum", sgd), ("width2", two)):
            if (args[name] != "") != active or (name in env) != active:
                print("momentum/width2 wrong:", args, env, file=sys.stderr)
                sys.exit(3)
        loss = (0.1 if sgd else 0.3) + (abs(float(args["momentum"]) - 0.9) if sgd else 0)
        loss += 0.01 * abs(int(args["width2"]) - 32) / 32 if two else 0.05
        print("loss=%f" % loss)
        """

    @Test func inactiveParametersAreAbsentEverywhere() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study)
        let scriptPath = try box.write("train.py", Self.script)
        let coordinator = try SextantProcess(["coordinator", studyPath, "--bind", box.endpoint, "--no-dashboard"],
                                             in: box.directory, name: "c")
        let worker = try SextantProcess(
            ["worker", box.endpoint, "--", "python3", scriptPath, "optimizer={optimizer}", "momentum={momentum}",
             "layers={layers}", "width2={width2}"], in: box.directory, name: "w")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")

        let trials = try await box.exportedTrials()
        #expect(trials.count == 14)
        #expect(trials.allSatisfy { $0["state"] as? String == "completed" }, "\(trials.map { ($0["params"], $0["reason"]) })")
        var branches = Set<String>()
        for trial in trials {
            let params = try #require(trial["params"] as? [String: Any])
            let sgd = params["optimizer"] as? String == "sgd", two = params["layers"] as? Int == 2
            #expect((params["momentum"] != nil) == sgd && (params["width2"] != nil) == two, "\(params)")
            branches.insert("\(sgd) \(two)")
        }
        #expect(branches.count >= 3, "the study visits several branches: \(branches)")
        // CSV: one column per parameter, blank where it is inactive.
        let (_, csv, _) = try await SextantProcess.run(["export", "--format", "csv"], in: box.directory)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let momentum = try #require(header.firstIndex(of: "momentum")), optimizer = try #require(header.firstIndex(of: "optimizer"))
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect((cells[optimizer] == "adam") == cells[momentum].isEmpty, "\(line)")
        }
        let (status, table, _) = try await SextantProcess.run(["status"], in: box.directory)
        #expect(status == 0 && table.contains("14/14 finished"), "\(table)")

        // The dashboard of the finished database, in headless Chromium: every trial row, an
        // empty cell for each inactive parameter, and nothing drawn from a missing value.
        guard let chromium = Web.chromium else { return }
        let (dashboard, base) = try await DatabaseDashboardEndToEndTests.startDashboard(["--db", "sextant.db"], in: box)
        defer { dashboard.kill() }
        let dom = try await Web.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                               "--no-first-run", "--user-data-dir=\(box.directory.path)/chromium",
                                               "--virtual-time-budget=6000", "--dump-dom", base], in: box.directory)
        func count(_ needle: String) -> Int { dom.components(separatedBy: needle).count - 1 }
        #expect(count("class=\"trial-row\"") == 14, "\(dom.prefix(2000))")
        let inactive = trials.reduce(0) { total, trial in
            let params = trial["params"] as? [String: Any] ?? [:]
            return total + (params["momentum"] == nil ? 1 : 0) + (params["width2"] == nil ? 1 : 0)
        }
        #expect(count("<td></td>") >= inactive, "\(inactive) inactive values")
        // (The page's own script mentions both words; rendered text and attributes must not.)
        #expect(!dom.contains(">undefined<") && !dom.contains("=\"NaN") && !dom.contains(",NaN") && !dom.contains("NaN,"))
    }
}
