import Foundation
import TrialModel

/// A problem of the optimizer benchmark: a search space, a value per configuration (to
/// minimize) and its known minimum. Either a test function (every parameter a float) or a
/// realistic problem evaluated by `lcbench/serve.py` (the LCBench tasks and budget-mlp).
struct BenchProblem: Sendable {
    let name: String
    let space: SearchSpace
    let minimum: Double
    let evaluate: @Sendable (Configuration) throws -> Double

    init(_ function: TestFunction) {
        name = function.name
        minimum = function.minimum
        let space = SearchSpace(function.bounds.enumerated().map { index, bound in
            Parameter(name: "x\(index)", domain: .float(low: bound.low, high: bound.high, log: false))
        })
        self.space = space
        evaluate = { configuration in
            function.evaluate(space.parameters.map { configuration[$0.name]?.numericValue ?? .nan })
        }
    }

    init(name: String, space: SearchSpace, minimum: Double, evaluate: @escaping @Sendable (Configuration) throws -> Double) {
        self.name = name
        self.space = space
        self.minimum = minimum
        self.evaluate = evaluate
    }

    /// Jenatton et al.'s tree-structured function (ICML 2017), the standard conditional benchmark:
    /// x1 ∈ {0, 1} chooses a branch with x2 and r8 (x1 = 0) or x3 and r9 (x1 = 1); x2 chooses x4
    /// or x5, x3 chooses x6 or x7; the value is (chosen x)² + 0.1, 0.2, 0.3 or 0.4 by leaf, plus r8
    /// or r9. Every float is in [0, 1]; the minimum, 0.1, is at x1 = x2 = 0, x4 = r8 = 0.
    static let jenatton: BenchProblem = {
        func when(_ parent: String, _ value: Int) -> ParameterCondition {
            ParameterCondition([.init(name: parent, values: [.int(value)])])
        }
        let unit = ParameterDomain.float(low: 0, high: 1, log: false), choice = ParameterDomain.int(low: 0, high: 1, log: false)
        let space = SearchSpace([
            Parameter(name: "x1", domain: choice),
            Parameter(name: "x2", domain: choice, condition: when("x1", 0)),
            Parameter(name: "x3", domain: choice, condition: when("x1", 1)),
            Parameter(name: "x4", domain: unit, condition: when("x2", 0)),
            Parameter(name: "x5", domain: unit, condition: when("x2", 1)),
            Parameter(name: "x6", domain: unit, condition: when("x3", 0)),
            Parameter(name: "x7", domain: unit, condition: when("x3", 1)),
            Parameter(name: "r8", domain: unit, condition: when("x1", 0)),
            Parameter(name: "r9", domain: unit, condition: when("x1", 1)),
        ])
        return BenchProblem(name: "jenatton", space: space, minimum: 0.1) { c in
            func value(_ name: String) throws -> Double {
                guard let v = c[name]?.numericValue else { throw BenchError("jenatton: \(name) missing from \(c.values)") }
                return v
            }
            if try value("x1") == 0 {
                let leaf = try value("x2") == 0 ? (try value("x4"), 0.1) : (try value("x5"), 0.2)
                return leaf.0 * leaf.0 + leaf.1 + (try value("r8"))
            }
            let leaf = try value("x3") == 0 ? (try value("x6"), 0.3) : (try value("x7"), 0.4)
            return leaf.0 * leaf.0 + leaf.1 + (try value("r9"))
        }
    }()

    /// The realistic problems: the six LCBench development tasks and budget-mlp.
    static let realistic = ["lcbench-167149", "lcbench-167185", "lcbench-167104", "lcbench-189862",
                            "lcbench-168330", "lcbench-167161", "budget-mlp"]

    /// The problems named in `list` (comma-separated); `test` stands for the eight test
    /// functions and `realistic` for the realistic problems.
    static func named(_ list: String, evaluator: @autoclosure () throws -> RealisticEvaluator) throws -> [BenchProblem] {
        let functions = TestFunction.all + TestFunction.extra + TestFunction.heldOut
        var names: [String] = []
        for item in list.split(separator: ",").map(String.init) {
            switch item {
            case "test": names += (TestFunction.all + TestFunction.heldOut).map(\.name)
            case "realistic": names += realistic
            default: names.append(item)
            }
        }
        var cached: RealisticEvaluator?
        return try names.map { name in
            if let function = functions.first(where: { $0.name == name }) { return BenchProblem(function) }
            if name == jenatton.name { return jenatton }
            guard realistic.contains(name) else {
                throw BenchError("unknown problem \(name); known: jenatton (conditional); test functions \(functions.map(\.name).joined(separator: ", ")); realistic \(realistic.joined(separator: ", "))")
            }
            if cached == nil { cached = try evaluator() }
            return try cached!.problem(name.hasPrefix("lcbench-") ? String(name.dropFirst(8)) : name, named: name)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One `python3 lcbench/serve.py` process, asked one JSON line at a time. The LCBench tasks
/// need `onnxruntime` and `numpy` and `SEXTANT_LCBENCH_DIR` (docs/benchmarks.md).
final class RealisticEvaluator: @unchecked Sendable {
    private let process = Process()
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()
    private let lock = NSLock()

    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("lcbench/serve.py")
    }

    init(python: String = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3") throws {
        let toChild = Pipe(), fromChild = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, Self.script.path]
        process.standardInput = toChild
        process.standardOutput = fromChild
        try process.run()
        input = toChild.fileHandleForWriting
        output = fromChild.fileHandleForReading
    }

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    func ask(_ request: [String: Any]) throws -> [String: Any] {
        lock.lock()
        defer { lock.unlock() }
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(0x0A)
        try input.write(contentsOf: line)
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let reply = buffer[buffer.startIndex..<end]
                buffer = Data(buffer[(end + 1)...])
                guard let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
                    throw BenchError("evaluator: not a JSON object: \(String(decoding: reply, as: UTF8.self))")
                }
                if let error = object["error"] as? String { throw BenchError("evaluator: \(error)") }
                return object
            }
            let chunk = output.availableData
            guard !chunk.isEmpty else { throw BenchError("evaluator \(Self.script.path) exited (is onnxruntime installed and SEXTANT_LCBENCH_DIR set?)") }
            buffer.append(chunk)
        }
    }

    /// A configuration as the evaluator's JSON object.
    static func json(_ configuration: Configuration) -> [String: Any] {
        configuration.values.mapValues { value -> Any in
            switch value {
            case .double(let x): x
            case .int(let x): x
            case .string(let x): x
            case .bool(let x): x
            }
        }
    }

    func problem(_ id: String, named name: String) throws -> BenchProblem {
        let description = try ask(["describe": id])
        guard let rows = description["parameters"] as? [[Any]], let best = description["best_known"] as? Double else {
            throw BenchError("evaluator: bad description of \(id)")
        }
        let parameters = try rows.map { row -> Parameter in
            guard let name = row.first as? String, row.count >= 3, let kind = row[1] as? String else {
                throw BenchError("evaluator: bad parameter \(row)")
            }
            switch kind {
            case "categorical":
                let values = (row[2] as? [String] ?? []).map(ParameterValue.string)
                return Parameter(name: name, domain: .categorical(values))
            case "int":
                return Parameter(name: name, domain: .int(low: (row[2] as! NSNumber).intValue, high: (row[3] as! NSNumber).intValue,
                                                          log: row[4] as? Bool ?? false))
            default:
                return Parameter(name: name, domain: .float(low: (row[2] as! NSNumber).doubleValue, high: (row[3] as! NSNumber).doubleValue,
                                                            log: row[4] as? Bool ?? false))
            }
        }
        return BenchProblem(name: name, space: SearchSpace(parameters), minimum: best) { [self] configuration in
            guard let value = try ask(["problem": id, "config": Self.json(configuration)])["value"] as? Double else {
                throw BenchError("evaluator: no value for \(id)")
            }
            return value
        }
    }
}
