import Foundation

/// The classic test functions of the optimizer benchmark, on their usual domains,
/// with their known minima. `peers/compare_peers.py` defines the same ones.
struct TestFunction: Sendable {
    let name: String
    let bounds: [(low: Double, high: Double)]
    let minimum: Double
    let evaluate: @Sendable ([Double]) -> Double

    static let all: [TestFunction] = [branin, hartmann6, ackley5, rosenbrock4]
    static let extra: [TestFunction] = [braninDiverging]
    /// Functions that no default was tuned on, to check that a change generalizes.
    static let heldOut: [TestFunction] = [hartmann3, levy4, styblinskiTang4, sixHumpCamel]

    static let hartmann3 = TestFunction(
        name: "hartmann3", bounds: Array(repeating: (0, 1), count: 3), minimum: -3.86278214782076
    ) { x in
        hartmann(x, a: [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]],
                 p: [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
    }

    static let levy4 = TestFunction(name: "levy4", bounds: Array(repeating: (-10, 10), count: 4), minimum: 0) { x in
        let w = x.map { 1 + ($0 - 1) / 4 }
        let last = w[w.count - 1]
        var sum = pow(sin(Double.pi * w[0]), 2)
        for i in 0..<(w.count - 1) {
            sum += (w[i] - 1) * (w[i] - 1) * (1 + 10 * pow(sin(Double.pi * w[i] + 1), 2))
        }
        return sum + (last - 1) * (last - 1) * (1 + pow(sin(2 * Double.pi * last), 2))
    }

    static let styblinskiTang4 = TestFunction(
        name: "styblinski-tang4", bounds: Array(repeating: (-5, 5), count: 4), minimum: -39.16616570377142 * 4
    ) { x in
        x.reduce(0) { $0 + ($1 * $1 * $1 * $1 - 16 * $1 * $1 + 5 * $1) / 2 }
    }

    static let sixHumpCamel = TestFunction(name: "six-hump-camel", bounds: [(-3, 3), (-2, 2)], minimum: -1.031628453489877) { x in
        let a = x[0], b = x[1]
        return (4 - 2.1 * a * a + a * a * a * a / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b
    }

    static let branin = TestFunction(name: "branin", bounds: [(-5, 10), (0, 15)], minimum: 0.397887357729738) { x in
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        let u = x[1] - b * x[0] * x[0] + c * x[0] - 6
        return u * u + 10 * (1 - t) * cos(x[0]) + 10
    }

    /// Branin whose upper-right part of the domain "diverges" (a huge loss), as a too-high learning rate does.
    static let braninDiverging = TestFunction(name: "branin-diverging", bounds: [(-5, 10), (0, 15)], minimum: 0.397887357729738) { x in
        if x[0] + x[1] > 14 { return 1e6 * (1 + x[0] + x[1]) }
        return branin.evaluate(x)
    }

    static let hartmann6 = TestFunction(
        name: "hartmann6", bounds: Array(repeating: (0, 1), count: 6), minimum: -3.32236801141551
    ) { x in
        hartmann(x, a: [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                        [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]],
                 p: [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
    }

    /// The Hartmann family: −Σ_i α_i exp(−Σ_j a_ij (x_j − p_ij·10⁻⁴)²), α = (1, 1.2, 3, 3.2).
    static func hartmann(_ x: [Double], a: [[Double]], p: [[Double]]) -> Double {
        let alpha = [1.0, 1.2, 3.0, 3.2]
        var total = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in x.indices { inner += a[i][j] * (x[j] - p[i][j] * 1e-4) * (x[j] - p[i][j] * 1e-4) }
            total -= alpha[i] * exp(-inner)
        }
        return total
    }

    static let ackley5 = TestFunction(
        name: "ackley5", bounds: Array(repeating: (-32.768, 32.768), count: 5), minimum: 0
    ) { x in
        let d = Double(x.count)
        let s1 = x.reduce(0) { $0 + $1 * $1 } / d
        let s2 = x.reduce(0) { $0 + cos(2 * Double.pi * $1) } / d
        return -20 * exp(-0.2 * s1.squareRoot()) - exp(s2) + 20 + M_E
    }

    static let rosenbrock4 = TestFunction(
        name: "rosenbrock4", bounds: Array(repeating: (-5, 10), count: 4), minimum: 0
    ) { x in
        var sum = 0.0
        for i in 0..<(x.count - 1) {
            let ridge = x[i + 1] - x[i] * x[i], offset = 1 - x[i]
            sum += 100 * ridge * ridge + offset * offset
        }
        return sum
    }
}
