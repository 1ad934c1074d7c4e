import CLAPACK
import Foundation
import SeededRandom

/// One epoch's validation figures.
package struct EpochReport: Sendable {
    package var epoch: Int
    package var validationLoss: Double
    package var validationAccuracy: Double
    package var trainLoss: Double
}

/// Why training stopped early.
package enum TrainingFailure: Error, Equatable {
    /// The loss became NaN or infinite, or exploded: an epoch's training or validation loss above
    /// `MLPTrainer.explodedLoss` (10, against ln 10 ≈ 2.3 for guessing), i.e. confidently wrong.
    case diverged(epoch: Int)
}

/// A one-hidden-layer perceptron on the 8x8 digits, trained with mini-batch gradient descent.
///
/// Notation (row-major, B = batch, H = hidden units, C = 10 classes):
///   X: B×64,  W1: 64×H,  b1: H,  Z1 = X·W1 + b1: B×H,  A = relu(Z1) ⊙ M/(1−p)  (dropout mask M),
///   W2: H×C,  b2: C,  Z2 = A·W2 + b2: B×C,  P = softmax(Z2),  loss = −mean log P[y].
///   Backward: G2 = (P − Y)/B: B×C,  ∂W2 = Aᵀ·G2 + λW2,  ∂b2 = Σ_rows G2,
///             G1 = (G2·W2ᵀ) ⊙ [Z1 > 0] ⊙ M/(1−p): B×H,  ∂W1 = Xᵀ·G1 + λW1,  ∂b1 = Σ_rows G1.
/// Matrix products go through BLAS (sgemm); everything is seeded, so a run is repeatable.
package struct MLPTrainer: Sendable {
    package let settings: MLPSettings
    let data: DigitsDataset

    /// Mean cross-entropy beyond which a run counts as diverged.
    package static let explodedLoss = 10.0

    package init(settings: MLPSettings) throws {
        // These matrices are small (at most batch × a few hundred): BLAS threads cost more than they give.
        _ = singleThreadedBLAS
        self.settings = settings
        self.data = try DigitsDataset.load()
    }

    /// The network's weights and biases: 64·H + H + H·10 + 10.
    package var parameterCount: Int {
        let h = settings.hiddenUnits
        return DigitsDataset.pixels * h + h + h * DigitsDataset.classes + DigitsDataset.classes
    }

    /// Trains for `settings.epochs`, calling `report` after each epoch.
    package func train(report: (EpochReport) -> Void) throws(TrainingFailure) {
        let h = settings.hiddenUnits, c = DigitsDataset.classes, inputs = DigitsDataset.pixels
        var random = Xoshiro256StarStar(seed: settings.seed)
        var network = Network(inputs: inputs, hidden: h, classes: c, random: &random)
        var optimizer = ParameterUpdater(kind: settings.optimizer, sizes: network.sizes)
        let n = data.trainCount, batch = min(settings.batchSize, n)
        var order = Array(0..<n)
        var x = [Float](repeating: 0, count: batch * inputs)
        var y = [Int](repeating: 0, count: batch)
        for epoch in 0..<settings.epochs {
            order.shuffle(using: &random)
            let rate = Float(settings.learningRate(epoch: epoch))
            var lossSum = 0.0, seen = 0
            var start = 0
            while start < n {
                let count = min(batch, n - start)
                for row in 0..<count {
                    let index = order[start + row]
                    for k in 0..<inputs { x[row * inputs + k] = data.trainFeatures[index * inputs + k] }
                    y[row] = data.trainLabels[index]
                }
                let loss = network.step(x: x, labels: y, count: count, dropout: Float(settings.dropout),
                                        weightDecay: Float(settings.weightDecay), random: &random)
                guard loss.isFinite else { throw .diverged(epoch: epoch + 1) }
                optimizer.apply(network.gradients, to: &network.parameters, rate: rate)
                lossSum += loss * Double(count)
                seen += count
                start += count
            }
            let (validationLoss, accuracy) = network.evaluate(
                x: data.validationFeatures, labels: data.validationLabels, count: data.validationCount)
            let trainLoss = lossSum / Double(max(seen, 1))
            guard validationLoss.isFinite, validationLoss < Self.explodedLoss, trainLoss < Self.explodedLoss else {
                throw .diverged(epoch: epoch + 1)
            }
            report(EpochReport(epoch: epoch + 1, validationLoss: validationLoss, validationAccuracy: accuracy,
                               trainLoss: trainLoss))
        }
    }
}

/// The network's matrices are small: one BLAS thread per trainer, set once per process.
private let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()
