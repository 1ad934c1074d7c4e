import Foundation
import Testing

/// The command-line surface as a user meets it: help, status, the demo.
@Suite(.timeLimit(.minutes(3))) struct CommandLineEndToEndTests {
    @Test(arguments: ["coordinator", "worker", "status", "export", "dashboard", "train", "demo", "keygen", "enqueue", "retry"])
    func everyCommandsHelpHasAnExample(command: String) async throws {
        let box = try Sandbox()
        let (status, out, _) = try await SextantProcess.run([command, "--help"], in: box.directory)
        #expect(status == 0)
        #expect(out.contains("Example"))
        #expect(out.contains("sextant \(command)"))
    }

    /// The example commands each help shows, each of which must stay whole on one line.
    static let examples: [String: [String]] = [
        "": ["sextant coordinator study.yaml",
             "sextant worker tcp://HOST:5555 -- python3 train.py --lr {learning_rate}",
             "sextant status --watch", "sextant demo"],
        "coordinator": ["sextant coordinator study.yaml --bind tcp://0.0.0.0:5555 --db sextant.db"],
        "worker": ["sextant worker tcp://HOST:5555 -- python3 train.py --lr {learning_rate}",
                   "sextant worker tcp://HOST:5555 --slots 4 --gpus 0,1,2,3 --builtin mlp-digits"],
        "status": ["sextant status --db sextant.db", "sextant status --watch", "sextant status --json",
                   "sextant status --url http://127.0.0.1:8080 --watch"],
        "export": ["sextant export --format csv --db sextant.db > trials.csv",
                   "sextant export --format json | jq '.trials[] | select(.state == \"completed\")'"],
        "dashboard": ["sextant dashboard --db sextant.db --bind 127.0.0.1:8090"],
        "train": ["sextant train mlp-digits --param learning_rate=0.01 --param epochs=20"],
        "demo": ["sextant demo"],
        "keygen": ["sextant keygen coordinator --directory keys", "sextant keygen gpu-3 --directory keys"],
        "enqueue": ["sextant enqueue --db sextant.db learning_rate=0.01 batch_size=64"],
        "retry": ["sextant retry --db sextant.db --failed", "sextant retry --trial 3 7"],
    ]

    @Test(arguments: ["", "coordinator", "worker", "status", "export", "dashboard", "train", "demo", "keygen", "enqueue", "retry"])
    func everyHelpFitsEightyColumnsWithItsExamplesWhole(command: String) async throws {
        let box = try Sandbox()
        let (status, out, _) = try await SextantProcess.run(
            (command.isEmpty ? [] : [command]) + ["--help"], in: box.directory, environment: ["COLUMNS": "80"])
        #expect(status == 0)
        let lines = out.split(separator: "\n").map(String.init)
        for line in lines { #expect(line.count <= 80, "\(line.count) columns: \(line)") }
        // An example is whole when one line holds it: as the line, or followed by a # comment.
        for example in try #require(Self.examples[command]) {
            let whole = lines.contains {
                let text = $0.trimmingCharacters(in: .whitespaces)
                return text == example || text.hasPrefix(example + " ")
            }
            #expect(whole, "'\(example)' is not on one line in:\n\(out)")
        }
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
        // Its own dashboard ended with it; the last line brings one back.
        let last = try #require(out.split(separator: "\n").last)
        #expect(last.hasPrefix("dashboard: ") && last.contains(" dashboard --db /") && last.hasSuffix("/run/demo.db"), "\(last)")

        let (jsonStatus, json, _) = try await SextantProcess.run(["status", "--json", "--db", "run/demo.db"], in: box.directory)
        #expect(jsonStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let study = try #require(object["study"] as? [String: Any])
        #expect(study["name"] as? String == "tiny-digits" && study["state"] as? String == "finished")
        #expect((study["counts"] as? [String: Int])?["completed"] == 4)
        #expect((object["trials"] as? [[String: Any]])?.count == 4)
    }

    /// Runs the demo on a shipped example made smaller (each line replaced must be in it) and
    /// returns its output and `export --format json` of its database.
    static func demo(example name: String, smaller lines: [(String, String)]) async throws -> (String, [String: Any]) {
        let box = try Sandbox()
        let example = try String(contentsOf: SextantProcess.root.appendingPathComponent("docs/examples/\(name)"), encoding: .utf8)
        var smaller = example
        for (line, replacement) in lines {
            #expect(smaller.contains(line), "the example's line '\(line)' moved")
            smaller = smaller.replacingOccurrences(of: line, with: replacement)
        }
        let studyPath = try box.write(name, smaller)
        // A debug build beside the other end-to-end suites (the curve model refits per trial): give the demo time.
        let (status, out, err) = try await SextantProcess.run(["demo", "--study", studyPath, "--directory", "run"], in: box.directory,
                                                              timeout: .seconds(150))
        #expect(status == 0, "\(err)")
        let (_, json, _) = try await SextantProcess.run(["export", "--format", "json", "--db", "run/demo.db"], in: box.directory)
        return (out, try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]))
    }

    /// The shipped two-objective example, run by the demo's workers (a smaller budget): every trial
    /// reports loss, training time and weight count, and the demo ends with the front.
    @Test func theDemoRunsTheParetoExample() async throws {
        let (out, object) = try await Self.demo(example: "mlp-digits-pareto.yaml", smaller: [
            ("budget: {trials: 40}", "budget: {trials: 6}"),
            ("epochs:        {type: int, low: 2, high: 30}", "epochs:        {type: int, low: 1, high: 3}"),
        ])
        #expect(out.contains("finished 6 trials in") && out.contains("Pareto front: "), "\(out)")
        #expect(out.contains("(val_loss minimize, train_seconds minimize)"), "\(out)")
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 6)
        for trial in trials where trial["state"] as? String == "completed" {
            let values = try #require(trial["values"] as? [String: Double], "\(trial)")
            let hidden = try #require((trial["params"] as? [String: Any])?["hidden_units"] as? Int)
            #expect(values["parameters"] == Double(64 * hidden + hidden + 10 * hidden + 10), "\(values)")
            #expect((values["train_seconds"] ?? 0) > 0 && values["val_loss"] != nil)
            #expect(trial["feasible"] as? Bool == (values["parameters"]! <= 20000))
        }
        let front = try #require((object["study"] as? [String: Any])?["pareto_front"] as? [Int])
        #expect(!front.isEmpty)
    }

    /// The shipped fidelity example, run by the demo (a smaller budget and fidelity): every trial
    /// gets the maximum step, the model stops some trials early, and the demo reports the best.
    @Test func theDemoRunsTheFidelityExample() async throws {
        let (out, object) = try await Self.demo(example: "mlp-digits-fidelity.yaml", smaller: [
            ("budget: {trials: 60}", "budget: {trials: 12}"),
            ("fidelity: {max_steps: 27}", "fidelity: {max_steps: 8}"),
        ])
        #expect(out.contains("finished 12 trials in") && out.contains("best trial #"), "\(out)")
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 12)
        // A completed trial trained to max_steps; a stopped one says the model stopped it.
        for trial in trials where trial["state"] as? String == "completed" { #expect(trial["step"] as? Int == 8, "\(trial)") }
        for trial in trials where trial["state"] as? String == "pruned" {
            #expect((trial["reason"] as? String ?? "").hasPrefix("model at step"), "\(trial)")
        }
        #expect(trials.contains { $0["state"] as? String == "completed" })
    }
}
