import ArgumentParser
import Foundation
import TrialModel
import Trainers

/// Training speed of the built-in mlp-digits trainer, in epochs per second.
struct TrainerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "Epochs per second of mlp-digits (SGD, batch 64) at several hidden widths."
    )

    @Option(help: "Hidden widths (comma-separated).")
    var hidden = "64,256"

    @Option(help: "Epochs per timed run.")
    var epochs = 20

    @Option(help: "Timed runs per width (the median is reported).")
    var repeats = 5

    func run() async throws {
        for width in hidden.split(separator: ",").compactMap({ Int($0) }) {
            let settings = try MLPSettings(Configuration([
                "hidden_units": .int(width), "batch_size": .int(64), "epochs": .int(epochs),
                "learning_rate": .double(0.05), "optimizer": .string("sgd"),
            ]))
            let trainer = try MLPTrainer(settings: settings)
            var rates: [Double] = []
            var accuracy = 0.0
            for _ in 0..<repeats {
                let clock = ContinuousClock()
                let start = clock.now
                try trainer.train { accuracy = $0.validationAccuracy }
                rates.append(Double(epochs) / (clock.now - start).seconds)
            }
            print(String(format: "swift  hidden=%-4d batch=64: %8.1f epochs/s (median of %d), final val accuracy %.3f",
                         width, Summary(rates).median, repeats, accuracy))
        }
    }
}
