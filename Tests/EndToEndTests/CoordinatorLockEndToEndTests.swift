import Foundation
import Testing

/// One coordinator per study and database, enforced by a lock the operating system holds.
@Suite(.timeLimit(.minutes(3))) struct CoordinatorLockEndToEndTests {
    static let study = """
        name: locked-study
        metric: {name: loss, goal: minimize}
        budget: {trials: 3}
        optimizer: {kind: random, seed: 5}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """

    @Test func aSecondCoordinatorOnTheSameStudyExitsAndOneKilledLeavesNoStaleLock() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("study.yaml", Self.study)
        let arguments = ["coordinator", studyPath, "--bind", box.endpoint, "--db", "lock.db", "--no-dashboard"]
        let lockFile = box.directory.appendingPathComponent("lock.db.locked-study.lock").path

        // No worker yet: the first coordinator waits for one, holding the lock.
        let first = try SextantProcess(arguments, in: box.directory, name: "c1")
        defer { first.kill() }
        #expect(await first.waitForOutput("workers connect to"), "c1: \(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: lockFile))

        let second = try SextantProcess(arguments, in: box.directory, name: "c2")
        #expect(await second.wait(timeout: .seconds(30)) == 1)
        #expect(second.stdout.isEmpty)
        let lines = second.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line expected: \(second.stderr)")
        let line = String(lines[0])
        #expect(line.hasPrefix("error: lock.db: study locked-study "), "\(line)")
        #expect(line.contains("pid \(first.process.processIdentifier) on host "), "\(line)")
        #expect(first.process.isRunning)

        // Readers take no lock: status and export work while the coordinator holds it.
        let (statusCode, statusJSON, statusErr) = try await SextantProcess.run(
            ["status", "--json", "--db", "lock.db"], in: box.directory)
        #expect(statusCode == 0, "status: \(statusErr)")
        let object = try JSONSerialization.jsonObject(with: Data(statusJSON.utf8)) as? [String: Any]
        #expect((object?["study"] as? [String: Any])?["name"] as? String == "locked-study")
        let (exportCode, csv, exportErr) = try await SextantProcess.run(
            ["export", "--format", "csv", "--db", "lock.db"], in: box.directory)
        #expect(exportCode == 0, "export: \(exportErr)")
        #expect(csv.hasPrefix("id,state,value,"))

        // SIGKILL gives no chance to clean up: the file stays, but the kernel dropped the lock.
        kill(first.process.processIdentifier, SIGKILL)
        #expect(await first.wait(timeout: .seconds(10)) != nil)
        #expect(FileManager.default.fileExists(atPath: lockFile))

        let third = try SextantProcess(arguments, in: box.directory, name: "c3")
        defer { third.kill() }
        #expect(await third.waitForOutput("workers connect to"), "c3: \(third.stderr)")
        let worker = try SextantProcess(["worker", box.endpoint, "--", "sh", "-c", "echo loss=$SEXTANT_PARAM_X"],
                                        in: box.directory, name: "w")
        defer { worker.kill() }
        #expect(await third.wait() == 0, "c3: \(third.stderr)")
        #expect(third.stdout.contains("study finished: 3 trials"))
        #expect(await worker.wait(timeout: .seconds(15)) == 0)
        // The same study went on in the same database, and a clean exit removes the lock file.
        let trials = try await box.exportedTrials(db: "lock.db")
        #expect(trials.count == 3 && trials.allSatisfy { $0["state"] as? String == "completed" })
        #expect(!FileManager.default.fileExists(atPath: lockFile))
    }

    @Test func anotherStudyInTheSameDatabaseIsNotLocked() async throws {
        let box = try Sandbox()
        let first = try SextantProcess(
            ["coordinator", try box.write("a.yaml", Self.study), "--bind", box.endpoint, "--db", "two.db", "--no-dashboard"],
            in: box.directory, name: "a")
        defer { first.kill() }
        #expect(await first.waitForOutput("workers connect to"), "a: \(first.stderr)")
        let other = Self.study.replacingOccurrences(of: "name: locked-study", with: "name: other study/2")
        let second = try SextantProcess(
            ["coordinator", try box.write("b.yaml", other), "--bind", "tcp://127.0.0.1:\(Sandbox.freePort())",
             "--db", "two.db", "--no-dashboard"],
            in: box.directory, name: "b")
        defer { second.kill() }
        #expect(await second.waitForOutput("workers connect to"), "b: \(second.stderr)")
        // A name that is no plain file name gets a safe, distinct lock file.
        let names = try FileManager.default.contentsOfDirectory(atPath: box.directory.path).filter { $0.hasSuffix(".lock") }
        #expect(names.count == 2 && names.contains("two.db.locked-study.lock"), "\(names)")
        #expect(names.contains { $0.hasPrefix("two.db.other_study_2-") }, "\(names)")
    }
}
