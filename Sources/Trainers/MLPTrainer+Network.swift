import CLAPACK
import Foundation
import SeededRandom

/// Weights, gradients and scratch buffers of the perceptron (shapes in `MLPTrainer`'s notation).
struct Network {
    let inputs: Int, hidden: Int, classes: Int
    /// [W1 (inputs×hidden), b1 (hidden), W2 (hidden×classes), b2 (classes)], row-major.
    var parameters: [[Float]]
    var gradients: [[Float]]
    var sizes: [Int] { parameters.map(\.count) }

    private var ones: [Float] = []
    private var z1: [Float] = [], a: [Float] = [], mask: [Float] = [], z2: [Float] = [], g2: [Float] = [], g1: [Float] = []

    init(inputs: Int, hidden: Int, classes: Int, random: inout Xoshiro256StarStar) {
        self.inputs = inputs; self.hidden = hidden; self.classes = classes
        // He initialization for the ReLU layer, Glorot-like for the output layer.
        let scale1 = Float((2.0 / Double(inputs)).squareRoot()), scale2 = Float((1.0 / Double(hidden)).squareRoot())
        let w1 = (0..<(inputs * hidden)).map { _ in scale1 * Float(random.nextGaussian()) }
        let w2 = (0..<(hidden * classes)).map { _ in scale2 * Float(random.nextGaussian()) }
        parameters = [w1, [Float](repeating: 0, count: hidden), w2, [Float](repeating: 0, count: classes)]
        gradients = parameters.map { [Float](repeating: 0, count: $0.count) }
    }

    /// Forward pass for `count` rows of `x`; fills z1, a (after dropout) and z2 (logits).
    private mutating func forward(x: [Float], count: Int, dropout: Float, random: inout Xoshiro256StarStar) {
        let h = hidden, c = classes
        if z1.count < count * h { z1 = [Float](repeating: 0, count: count * h); a = z1; mask = z1 }
        if z2.count < count * c { z2 = [Float](repeating: 0, count: count * c) }
        for row in 0..<count { for j in 0..<h { z1[row * h + j] = parameters[1][j] } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(h), Int32(inputs),
                    1, x, Int32(inputs), parameters[0], Int32(h), 1, &z1, Int32(h))
        let keep = 1 - dropout
        z1.withUnsafeBufferPointer { z in
            a.withUnsafeMutableBufferPointer { out in
                mask.withUnsafeMutableBufferPointer { m in
                    for index in 0..<(count * h) {
                        var keepUnit: Float = 1
                        if dropout > 0 { keepUnit = Float(random.nextUnitDouble()) < keep ? 1 / keep : 0 }
                        m[index] = keepUnit
                        out[index] = max(z[index], 0) * keepUnit
                    }
                }
            }
        }
        for row in 0..<count { for j in 0..<c { z2[row * c + j] = parameters[3][j] } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(c), Int32(h),
                    1, a, Int32(h), parameters[2], Int32(c), 1, &z2, Int32(c))
    }

    /// Softmax of row `row` of z2 into `p`; returns −log p[label].
    private func softmax(row: Int, label: Int, into p: inout [Float]) -> Double {
        let c = classes
        var top = -Float.infinity
        for j in 0..<c { top = max(top, z2[row * c + j]) }
        var total: Float = 0
        for j in 0..<c { p[j] = exp(z2[row * c + j] - top); total += p[j] }
        for j in 0..<c { p[j] /= total }
        return -log(max(Double(p[label]), 1e-30))
    }

    /// One forward and backward pass; fills `gradients` and returns the mean batch loss.
    mutating func step(x: [Float], labels: [Int], count: Int, dropout: Float, weightDecay: Float,
                       random: inout Xoshiro256StarStar) -> Double {
        let h = hidden, c = classes
        forward(x: x, count: count, dropout: dropout, random: &random)
        if g2.count < count * c { g2 = [Float](repeating: 0, count: count * c) }
        if g1.count < count * h { g1 = [Float](repeating: 0, count: count * h) }
        if ones.count < count { ones = [Float](repeating: 1, count: count) }
        var p = [Float](repeating: 0, count: c)
        var loss = 0.0
        let inverse = 1 / Float(count)
        for row in 0..<count {
            loss += softmax(row: row, label: labels[row], into: &p)
            for j in 0..<c { g2[row * c + j] = (p[j] - (j == labels[row] ? 1 : 0)) * inverse }
        }
        // ∂W2 = Aᵀ·G2 + λW2
        scale(parameters[2], by: weightDecay, into: &gradients[2])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(h), Int32(c), Int32(count),
                    1, a, Int32(h), g2, Int32(c), 1, &gradients[2], Int32(c))
        Self.columnSums(g2, ones: ones, rows: count, columns: c, into: &gradients[3])
        // G1 = (G2·W2ᵀ) ⊙ [Z1 > 0] ⊙ M
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(h), Int32(c),
                    1, g2, Int32(c), parameters[2], Int32(c), 0, &g1, Int32(h))
        z1.withUnsafeBufferPointer { z in
            mask.withUnsafeBufferPointer { m in
                g1.withUnsafeMutableBufferPointer { g in
                    for index in 0..<(count * h) { g[index] = z[index] > 0 ? g[index] * m[index] : 0 }
                }
            }
        }
        scale(parameters[0], by: weightDecay, into: &gradients[0])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(inputs), Int32(h), Int32(count),
                    1, x, Int32(inputs), g1, Int32(h), 1, &gradients[0], Int32(h))
        Self.columnSums(g1, ones: ones, rows: count, columns: h, into: &gradients[1])
        return loss / Double(count)
    }

    /// target_j = Σ_rows matrix[row, j], as one BLAS matrix-vector product with a vector of ones.
    private static func columnSums(_ matrix: [Float], ones: [Float], rows: Int, columns: Int, into target: inout [Float]) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, matrix, Int32(columns), ones, 1, 0, &target, 1)
    }

    private func scale(_ source: [Float], by factor: Float, into target: inout [Float]) {
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                for i in 0..<s.count { t[i] = s[i] * factor }
            }
        }
    }

    /// Mean cross-entropy and accuracy on `count` rows, without dropout.
    mutating func evaluate(x: [Float], labels: [Int], count: Int) -> (loss: Double, accuracy: Double) {
        var unused = Xoshiro256StarStar(seed: 0)
        forward(x: x, count: count, dropout: 0, random: &unused)
        var p = [Float](repeating: 0, count: classes)
        var loss = 0.0, correct = 0
        for row in 0..<count {
            loss += softmax(row: row, label: labels[row], into: &p)
            if p.indices.max(by: { p[$0] < p[$1] }) == labels[row] { correct += 1 }
        }
        return (loss / Double(count), Double(correct) / Double(count))
    }
}

/// SGD, heavy-ball momentum (0.9) or Adam (β = 0.9, 0.999) on a list of tensors.
struct ParameterUpdater {
    let kind: MLPSettings.Optimizer
    var velocity: [[Float]]
    var second: [[Float]]
    var steps = 0

    init(kind: MLPSettings.Optimizer, sizes: [Int]) {
        self.kind = kind
        velocity = sizes.map { [Float](repeating: 0, count: $0) }
        second = kind == .adam ? velocity : []
    }

    mutating func apply(_ gradients: [[Float]], to parameters: inout [[Float]], rate: Float) {
        steps += 1
        let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
        let correction1 = 1 - pow(beta1, Float(steps)), correction2 = 1 - pow(beta2, Float(steps))
        let kind = self.kind
        for t in parameters.indices {
            gradients[t].withUnsafeBufferPointer { g in
                parameters[t].withUnsafeMutableBufferPointer { w in
                    switch kind {
                    case .sgd:
                        for i in 0..<g.count { w[i] -= rate * g[i] }
                    case .momentum:
                        velocity[t].withUnsafeMutableBufferPointer { v in
                            for i in 0..<g.count {
                                v[i] = 0.9 * v[i] + g[i]
                                w[i] -= rate * v[i]
                            }
                        }
                    case .adam:
                        velocity[t].withUnsafeMutableBufferPointer { m in
                            second[t].withUnsafeMutableBufferPointer { v in
                                for i in 0..<g.count {
                                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                                    w[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
