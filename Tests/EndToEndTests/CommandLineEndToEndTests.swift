import Foundation
import Testing

/// The command-line surface as a user meets it: help, status, the demo.
@Suite(.timeLimit(.minutes(3))) struct CommandLineEndToEndTests {
    @Test(arguments: ["coordinator", "worker", "status", "export", "train", "demo", "keygen"])
    func everyCommandsHelpHasAnExample(command: String) async throws {
        let box = try Sandbox()
        let (status, out, _) = try await SextantProcess.run([command, "--help"], in: box.directory)
        #expect(status == 0)
        #expect(out.contains("Example"))
        #expect(out.contains("sextant \(command)"))
    }

    @Test func statusJSONAndTheDemoOnASmallStudy() async throws {
        let box = try Sandbox()
        let studyPath = try box.write("demo.yaml", """
            name: tiny-digits
            metric: {name: val_loss, goal: minimize}
            budget: {trials: 4}
            optimizer: {kind: gp-ei, initial_trials: 2, seed: 3}
            parameters:
              learning_rate: {type: float, low: 1.0e-3, high: 0.1, log: true}
              epochs: {type: int, low: 1, high: 2}
              optimizer: {type: categorical, values: [adam]}
            """)
        let (status, out, err) = try await SextantProcess.run(["demo", "--study", studyPath, "--directory", "run"], in: box.directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("tuning tiny-digits: 4 trials, 2 local workers"))
        #expect(out.contains("[##############################] 4/4 trials  best val_loss"))
        #expect(out.contains("finished 4 trials in"))
        #expect(out.contains("  learning_rate = "))
        #expect(out.contains("validation accuracy of the best configuration: "))
        let plot = box.directory.appendingPathComponent("run/trials.svg").path
        #expect(out.contains("plot of every trial and the best so far: "))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<circle").count - 1 == 4)

        let (jsonStatus, json, _) = try await SextantProcess.run(["status", "--json", "--db", "run/demo.db"], in: box.directory)
        #expect(jsonStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let study = try #require(object["study"] as? [String: Any])
        #expect(study["name"] as? String == "tiny-digits" && study["state"] as? String == "finished")
        #expect((study["counts"] as? [String: Int])?["completed"] == 4)
        #expect((object["trials"] as? [[String: Any]])?.count == 4)
    }
}
