import Foundation
import Testing

/// The realistic benchmark's trial command: its evaluator must reproduce the reference points,
/// and its output must be a learning curve a worker reads. Needs the surrogate's files (see
/// docs/benchmarks.md, "Realistic problems") in `SEXTANT_LCBENCH_DIR` and onnxruntime.
@Suite(.timeLimit(.minutes(2))) struct LCBenchTrialEndToEndTests {
    static let directory = ProcessInfo.processInfo.environment["SEXTANT_LCBENCH_DIR"]
    static let usable: Bool = {
        guard let directory, FileManager.default.fileExists(atPath: directory + "/model.onnx") else { return false }
        return run(["python3", "-c", "import onnxruntime"]).status == 0
    }()
    static let script = SextantProcess.root.appendingPathComponent("Sources/sextant-bench/lcbench/lcbench_trial.py").path

    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return (-1, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: usable, "needs SEXTANT_LCBENCH_DIR with the LCBench surrogate and onnxruntime"))
    func theEvaluatorReproducesTheReferencePoints() throws {
        let directory = try #require(Self.directory)
        let check = Self.run(["python3", Self.script, "--check", directory + "/check_values.json"])
        #expect(check.status == 0, "\(check.output)")
        let trial = Self.run(["python3", Self.script, "--task", "167149", "--learning_rate", "0.01", "--batch_size", "64",
                              "--weight_decay", "0.001", "--momentum", "0.9", "--num_layers", "3", "--max_units", "256",
                              "--max_dropout", "0.1"])
        #expect(trial.status == 0, "\(trial.output)")
        let lines = trial.output.split(separator: "\n").filter { $0.hasPrefix("val_loss=") }
        #expect(lines.count == 52)
        #expect(lines.last?.hasSuffix("step=52") == true)
    }

    @Test func withoutTheDataItSaysWhereToGetIt() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-u", "SEXTANT_LCBENCH_DIR", "python3", Self.script, "--task", "167149"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { Issue.record("python3 did not start"); return }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(output.contains("SEXTANT_LCBENCH_DIR") && output.contains("yahpo_data"), "\(output)")
    }
}
