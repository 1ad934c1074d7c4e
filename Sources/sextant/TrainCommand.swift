import ArgumentParser
import Foundation
import TrialModel
import Trainers

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Run a built-in trainer once, reporting like any training command.",
        discussion: """
            Example:
              sextant train mlp-digits --param learning_rate=0.01 --param epochs=20
            Parameters come from SEXTANT_PARAMS (as a worker sets it) and then from \
            --param, which wins; in a study with a fidelity, epochs defaults to its max_steps \
            (SEXTANT_MAX_STEPS). mlp-digits takes learning_rate, batch_size, epochs, \
            hidden_units, weight_decay, optimizer (sgd, momentum, adam), lr_schedule \
            (constant, step, cosine), dropout and seed; each epoch it prints
              epoch=N val_loss=... val_accuracy=... train_loss=... train_seconds=... parameters=... step=N
            where train_seconds is the wall time since training began and parameters the \
            network's weight count (objectives for a study that trades accuracy for cost).
            A run whose loss explodes prints `failed: diverged` and exits with status 1.
            """
    )

    @Argument(help: "The trainer: mlp-digits.")
    var trainer: String

    @Option(name: .customLong("param"), help: "NAME=VALUE, repeatable.")
    var parameters: [String] = []

    func validate() throws {
        guard trainer == "mlp-digits" else { throw ValidationError("unknown built-in trainer '\(trainer)'; available: mlp-digits") }
        for parameter in parameters where !parameter.contains("=") {
            throw ValidationError("--param takes NAME=VALUE, not '\(parameter)'")
        }
    }

    func run() throws {
        var values: [String: ParameterValue] = [:]
        if let json = ProcessInfo.processInfo.environment["SEXTANT_PARAMS"], !json.isEmpty {
            do {
                values = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8)).values
            } catch {
                Console.error("SEXTANT_PARAMS is not a JSON object of parameters: \(error)")
                throw ExitCode(2)
            }
        }
        // A study with a fidelity trains every trial up to its max_steps (epochs, here).
        if values["epochs"] == nil, let text = ProcessInfo.processInfo.environment["SEXTANT_MAX_STEPS"], let steps = Int(text) {
            values["epochs"] = .int(steps)
        }
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            let text = parts.count > 1 ? parts[1] : ""
            values[parts[0]] = Int(text).map(ParameterValue.int) ?? Double(text).map(ParameterValue.double) ?? .string(text)
        }
        let trainer: MLPTrainer
        do {
            trainer = try MLPTrainer(settings: MLPSettings(Configuration(values)))
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        let started = ContinuousClock.now
        let parameterCount = trainer.parameterCount
        do {
            try trainer.train { report in
                let seconds = (ContinuousClock.now - started) / .seconds(1)
                Console.line(String(format: "epoch=%d val_loss=%.6f val_accuracy=%.4f train_loss=%.6f train_seconds=%.4f parameters=%d step=%d",
                                    report.epoch, report.validationLoss, report.validationAccuracy,
                                    report.trainLoss, seconds, parameterCount, report.epoch))
            }
        } catch .diverged(let epoch) {
            Console.line("failed: diverged")
            FileHandle.standardError.write(Data("the loss diverged in epoch \(epoch)\n".utf8))
            throw ExitCode(1)
        }
    }
}
