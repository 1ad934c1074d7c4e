import Samplers
import Testing
import TrialModel

@Suite struct SamplerTests {
    static let space = SearchSpace([
        Parameter(name: "lr", domain: .float(low: 1e-4, high: 1, log: true)),
        Parameter(name: "layers", domain: .int(low: 1, high: 3, log: false)),
        Parameter(name: "opt", domain: .categorical([.string("sgd"), .string("adam")])),
    ])

    static func spec(_ kind: OptimizerKind, seed: UInt64 = 1, trials: Int = 50) -> StudySpec {
        StudySpec(name: "t", metric: .init(name: "loss", goal: .minimize), budget: .init(trials: trials),
                  optimizer: .init(kind: kind, seed: seed, gridPoints: 3), space: space)
    }

    static func run(_ sampler: any Sampler, _ spec: StudySpec, count: Int) async throws -> [Configuration] {
        var trials: [Trial] = []
        for index in 0..<count {
            guard let next = try await sampler.suggest(StudyHistory(spec: spec, trials: trials)) else { break }
            trials.append(Trial(id: TrialID(Int64(index + 1)), state: .completed, configuration: next, value: 1))
        }
        return trials.map(\.configuration)
    }

    @Test func randomIsDeterministicValidAndSpread() async throws {
        let spec = Self.spec(.random)
        let a = try await Self.run(RandomSampler(seed: 1), spec, count: 32)
        let b = try await Self.run(RandomSampler(seed: 1), spec, count: 32)
        let c = try await Self.run(RandomSampler(seed: 2), spec, count: 32)
        #expect(a == b)
        #expect(a != c)
        for configuration in a {
            for parameter in Self.space.parameters {
                #expect(parameter.contains(try #require(configuration[parameter.name])))
            }
        }
        #expect(Set(a).count == a.count)
        // Quasi-random: 32 points put some lr in every decade of [1e-4, 1].
        let decades = Set(a.compactMap { $0["lr"]?.numericValue }.map { Int((-log10($0)).rounded(.down)) })
        #expect(decades == [0, 1, 2, 3])
        #expect(Set(a.compactMap { $0["layers"] }) == [.int(1), .int(2), .int(3)])
    }

    @Test func sobolSkipMatchesSequentialGeneration() {
        var sequential = QuasiRandomSequence(dimension: 5, seed: 9)
        let points = (0..<40).map { _ in sequential.next() }
        for index in [0, 1, 2, 7, 16, 39] {
            var jumped = QuasiRandomSequence(dimension: 5, seed: 9)
            jumped.skip(to: UInt64(index))
            #expect(jumped.next() == points[index])
        }
    }

    @Test func gridVisitsEveryPointOnceThenStops() async throws {
        let spec = Self.spec(.grid)
        let sampler = try GridSampler(space: Self.space, points: 3, seed: 4)
        #expect(sampler.count == 3 * 3 * 2)
        let visited = try await Self.run(sampler, spec, count: 100)
        #expect(visited.count == 18)
        #expect(Set(visited).count == 18)
        let lrs = Set(visited.compactMap { $0["lr"]?.numericValue })
        #expect(lrs.count == 3)
        // Shuffled, but the same seed gives the same order.
        let again = try await Self.run(try GridSampler(space: Self.space, points: 3, seed: 4), spec, count: 100)
        #expect(again == visited)
    }

    @Test func gridRefusesAnAbsurdSize() {
        let huge = SearchSpace((0..<12).map { Parameter(name: "p\($0)", domain: .int(low: 1, high: 10, log: false)) })
        #expect(throws: SamplerError.self) { try GridSampler(space: huge, points: 3, seed: 0) }
    }
}

import Foundation
