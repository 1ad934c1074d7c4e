import Foundation
import Testing

/// `sextant coordinator --warm-start OLD.db[:STUDY]` with real processes and databases.
@Suite(.timeLimit(.minutes(3))) struct WarmStartEndToEndTests {
    static func study(name: String, trials: Int, x: String = "{type: float, low: -2.0, high: 2.0}",
                      metric: String = "{name: loss, goal: minimize}") -> String {
        """
        name: \(name)
        metric: \(metric)
        budget: {trials: \(trials)}
        optimizer: {kind: gp-ei, initial_trials: 3, seed: 11}
        trial_timeout_seconds: 30
        parameters:
          x: \(x)
          y: {type: float, low: -3.0, high: 3.0}
          optimizer: {type: categorical, values: [sgd, momentum, adam]}
        """
    }

    /// Runs a study to the end in `db` with one worker.
    static func runStudy(_ path: String, db: String, in box: Sandbox, extra: [String] = []) async throws -> SextantProcess {
        let coordinator = try SextantProcess(["coordinator", path, "--bind", box.endpoint, "--db", db, "--no-dashboard"] + extra,
                                             in: box.directory, name: "c-\(db)")
        let worker = try SextantProcess(["worker", box.endpoint, "--"] + StudyEndToEndTests.quadratic,
                                        in: box.directory, name: "w-\(db)")
        #expect(await coordinator.wait() == 0, "coordinator: \(coordinator.stderr)")
        #expect(await worker.wait(timeout: .seconds(15)) == 0, "worker: \(worker.stderr)")
        return coordinator
    }

    @Test func aNarrowerStudyUsesTheFittingTrialsAndStoresOnlyItsOwn() async throws {
        let box = try Sandbox()
        _ = try await Self.runStudy(try box.write("old.yaml", Self.study(name: "old", trials: 10)), db: "old.db", in: box)
        let old = try await box.exportedTrials(db: "old.db")
        #expect(old.count == 10)
        let inside = old.count { (($0["params"] as? [String: Any])?["x"] as? Double ?? -1) >= 0 }

        let path = try box.write("new.yaml", Self.study(name: "new", trials: 5, x: "{type: float, low: 0.0, high: 2.0}"))
        let coordinator = try await Self.runStudy(path, db: "new.db", in: box, extra: ["--warm-start", "old.db"])
        var expected = "warm start: \(inside) completed trial\(inside == 1 ? "" : "s") of old in old.db"
        if inside < 10 { expected += " (\(10 - inside) skipped: \(10 - inside) have x outside [0, 2])" }
        #expect(coordinator.stdout.split(separator: "\n").contains { $0 == expected }, "stdout: \(coordinator.stdout)")

        let trials = try await box.exportedTrials(db: "new.db")
        #expect(trials.map { $0["id"] as? Int } == [1, 2, 3, 4, 5])
        // Its own trials only: every one inside the new range, none a copy of an old one.
        let oldPoints = Set(old.compactMap { ($0["params"] as? [String: Any])?["x"] as? Double })
        for trial in trials {
            let x = try #require((trial["params"] as? [String: Any])?["x"] as? Double)
            #expect(x >= 0 && x <= 2)
            #expect(!oldPoints.contains(x))
        }
        let (status, table, _) = try await SextantProcess.run(["status", "--db", "new.db"], in: box.directory)
        #expect(status == 0)
        #expect(table.contains("5/5 finished, 5 completed"))
    }

    @Test func noFittingTrialIsNoErrorAndSaysWhy() async throws {
        let box = try Sandbox()
        _ = try await Self.runStudy(try box.write("old.yaml", Self.study(name: "old", trials: 3)), db: "old.db", in: box)
        // A space without the categorical parameter: every old trial has one too many.
        let without = try box.write("without.yaml", Self.study(name: "new", trials: 5).replacingOccurrences(
            of: "  optimizer: {type: categorical, values: [sgd, momentum, adam]}", with: ""))
        let coordinator = try SextantProcess(["coordinator", without, "--bind", box.endpoint, "--db", "new.db", "--no-dashboard",
                                              "--warm-start", "old.db"], in: box.directory, name: "c-new")
        let line = "warm start: 0 completed trials of old in old.db (3 skipped: 3 have parameter optimizer not in this space)"
        #expect(await coordinator.waitForOutput(line, timeout: .seconds(30)), "stdout: \(coordinator.stdout) stderr: \(coordinator.stderr)")
        coordinator.kill()
    }

    /// One line on stderr, exit status 2, nothing created.
    static func refused(_ arguments: [String], in box: Sandbox) async throws -> String {
        let (status, out, err) = try await SextantProcess.run(arguments, in: box.directory)
        #expect(status == 2, "stdout: \(out) stderr: \(err)")
        let lines = err.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(err)")
        #expect(!FileManager.default.fileExists(atPath: box.directory.appendingPathComponent("new.db").path))
        return lines.first.map(String.init) ?? ""
    }

    @Test func aMissingForeignOrMismatchedSourceIsOneLineAndStatusTwo() async throws {
        let box = try Sandbox()
        _ = try await Self.runStudy(try box.write("old.yaml", Self.study(name: "old", trials: 3)), db: "old.db", in: box)
        let path = try box.write("new.yaml", Self.study(name: "new", trials: 5))
        let base = ["coordinator", path, "--bind", box.endpoint, "--db", "new.db", "--no-dashboard", "--warm-start"]

        let missing = try await Self.refused(base + ["nowhere.db"], in: box)
        #expect(missing == "error: --warm-start: no study database at nowhere.db")
        _ = try box.write("notes.db", "not a database, only text\n")
        let foreign = try await Self.refused(base + ["notes.db"], in: box)
        #expect(foreign == "error: --warm-start: notes.db is not a Sextant study database")
        let unknown = try await Self.refused(base + ["old.db:other"], in: box)
        #expect(unknown == "error: old.db: no study other to warm-start from; it holds old")

        let maximizing = try box.write("acc.yaml", Self.study(name: "new", trials: 5, metric: "{name: loss, goal: maximize}"))
        let mismatch = try await Self.refused(
            ["coordinator", maximizing, "--bind", box.endpoint, "--db", "new.db", "--no-dashboard", "--warm-start", "old.db:old"],
            in: box)
        #expect(mismatch == "error: study old has metric loss (minimize), this study loss (maximize); warm-start from a study of the same metric")
    }
}
