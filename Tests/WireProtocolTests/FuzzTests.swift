import Foundation
import SeededRandom
import Testing
import TrialModel
import WireProtocol

/// Property-based fuzzing: mutated inputs never crash the decoders. The iteration count can
/// be raised for a long run: SEXTANT_FUZZ_ITERATIONS=1000000 swift test --filter FuzzTests
@Suite struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["SEXTANT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000

    /// Edits drawn from a fixed stream, so a crash found here reproduces.
    struct Mutator: RandomNumberGenerator {
        var random: SplitMix64
        init(state: UInt64) { random = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { random.next() }

        /// One random edit: flip, insert, delete, duplicate a span, or splice in a JSON token.
        mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            let tokens = ["null", "1e309", "-1", "\"\"", "[]", "{}", "NaN", "\u{0}", "99999999999999999999", "true", "\\u0000"]
            for _ in 0...Int.random(in: 0...3, using: &self) {
                let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &self)
                switch Int.random(in: 0..<5, using: &self) {
                case 0 where !bytes.isEmpty: bytes[position] ^= UInt8.random(in: 1...255, using: &self)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &self), at: position)
                case 2 where !bytes.isEmpty: bytes.remove(at: position)
                case 3 where !bytes.isEmpty:
                    let end = min(bytes.count, position + Int.random(in: 1...16, using: &self))
                    bytes.insert(contentsOf: bytes[position..<end], at: position)
                default: bytes.insert(contentsOf: Array(tokens.randomElement(using: &self)!.utf8), at: position)
                }
            }
            return bytes
        }
    }

    @Test func theWireDecoderNeverCrashes() {
        var mutator = Mutator(state: 1)
        let seeds = WireCodecTests.messages.map(WireCodec.encode)
        var decoded = 0, rejected = 0
        for _ in 0..<Self.iterations {
            var frames = seeds.randomElement(using: &mutator)!.map { Array($0) }
            let frame = Int.random(in: 0..<frames.count, using: &mutator)
            frames[frame] = mutator.mutate(frames[frame])
            if Int.random(in: 0..<20, using: &mutator) == 0 { frames.removeLast() }
            do {
                _ = try WireCodec.decode(frames.map { Data($0) })
                decoded += 1
            } catch {
                rejected += 1
            }
        }
        #expect(decoded + rejected == Self.iterations)
        #expect(rejected > Self.iterations / 2)
        print("wire fuzz: \(Self.iterations) mutated messages, \(rejected) rejected, \(decoded) still valid, 0 crashes")
    }

    @Test func theStudyFileParserNeverCrashes() {
        var mutator = Mutator(state: 2)
        let seed = Array(StudyFileTestsSeed.text.utf8)
        var parsed = 0, rejected = 0
        for _ in 0..<(Self.iterations / 4) {
            let text = String(decoding: mutator.mutate(seed), as: UTF8.self)
            do {
                _ = try StudyFile.parse(text, file: "fuzz.yaml")
                parsed += 1
            } catch {
                #expect(error.description.hasPrefix("fuzz.yaml: "))
                rejected += 1
            }
        }
        print("study-file fuzz: \(Self.iterations / 4) mutated files, \(rejected) rejected with a message, \(parsed) valid, 0 crashes")
    }
}

enum StudyFileTestsSeed {
    static let text = """
        name: mlp-digits
        metric: {name: val_loss, goal: minimize}
        budget: {trials: 60, max_seconds: 3600}
        optimizer: {kind: gp-ei, initial_trials: 8, seed: 7}
        pruner: {kind: asha, min_steps: 1, reduction_factor: 3}
        parameters:
          learning_rate: {type: float, low: 1.0e-5, high: 1.0, log: true}
          batch_size:    {type: int, low: 16, high: 512, log: true}
          optimizer:     {type: categorical, values: [sgd, momentum, adam]}
        """
}
