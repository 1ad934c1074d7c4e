package import TrialModel

/// Hyperparameters of the built-in `mlp-digits` trainer, with the defaults it uses for any not given.
package struct MLPSettings: Sendable, Equatable {
    package enum Optimizer: String, Sendable, CaseIterable { case sgd, momentum, adam }
    package enum Schedule: String, Sendable, CaseIterable { case constant, step, cosine }

    package var learningRate: Double = 0.01
    package var batchSize: Int = 32
    package var epochs: Int = 10
    package var hiddenUnits: Int = 64
    package var weightDecay: Double = 0
    package var optimizer: Optimizer = .sgd
    package var schedule: Schedule = .constant
    /// Probability of dropping a hidden unit during training, in [0, 0.9].
    package var dropout: Double = 0
    /// Seeds weight initialization, batch order and dropout.
    package var seed: UInt64 = 0

    package init() {}

    /// The names a study file uses for these settings.
    package static let parameterNames = [
        "learning_rate", "batch_size", "epochs", "hidden_units", "weight_decay", "optimizer", "lr_schedule", "dropout", "seed",
    ]

    /// Settings from a trial's parameters; names not listed above are ignored, listed ones are checked.
    package init(_ configuration: Configuration) throws {
        for (name, value) in configuration.values {
            switch name {
            case "learning_rate": learningRate = try Self.number(value, name, above: 0)
            case "batch_size": batchSize = try Self.integer(value, name, in: 1...100_000)
            case "epochs": epochs = try Self.integer(value, name, in: 1...10_000)
            case "hidden_units": hiddenUnits = try Self.integer(value, name, in: 1...65_536)
            case "weight_decay": weightDecay = try Self.number(value, name, above: -1e-300)
            case "dropout":
                dropout = try Self.number(value, name, above: -1e-300)
                guard dropout <= 0.9 else { throw TrainerError("dropout must be at most 0.9, not \(dropout)") }
            case "seed": seed = UInt64(try Self.integer(value, name, in: 0...Int.max))
            case "optimizer":
                guard let choice = Optimizer(rawValue: value.description) else {
                    throw TrainerError("optimizer must be sgd, momentum or adam, not '\(value)'")
                }
                optimizer = choice
            case "lr_schedule":
                guard let choice = Schedule(rawValue: value.description) else {
                    throw TrainerError("lr_schedule must be constant, step or cosine, not '\(value)'")
                }
                schedule = choice
            default: continue
            }
        }
    }

    static func number(_ value: ParameterValue, _ name: String, above low: Double) throws -> Double {
        guard let number = value.numericValue, number.isFinite, number > low else {
            throw TrainerError("\(name) must be a number greater than \(max(low, 0)), not '\(value)'")
        }
        return number
    }

    static func integer(_ value: ParameterValue, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = value.numericValue, number == number.rounded(), range.contains(Int(number)) else {
            throw TrainerError("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), not '\(value)'")
        }
        return Int(number)
    }

    /// The learning rate in `epoch` (0-based): constant; step (×0.1 at 50% and 75% of the epochs);
    /// or cosine from the full rate down to zero.
    func learningRate(epoch: Int) -> Double {
        let progress = Double(epoch) / Double(max(epochs, 1))
        switch schedule {
        case .constant: return learningRate
        case .step: return learningRate * (progress >= 0.75 ? 0.01 : progress >= 0.5 ? 0.1 : 1)
        case .cosine: return learningRate * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}

import Foundation
