import Testing
import TrialModel
import Trainers

@Suite struct MLPTrainerTests {
    static func run(_ values: [String: ParameterValue]) throws -> Result<[EpochReport], TrainingFailure> {
        let trainer = try MLPTrainer(settings: MLPSettings(Configuration(values)))
        var reports: [EpochReport] = []
        do {
            try trainer.train { reports.append($0) }
            return .success(reports)
        } catch {
            return .failure(error)
        }
    }

    static func finalLoss(learningRate: Double) throws -> Double {
        switch try run(["learning_rate": .double(learningRate), "epochs": .int(10), "optimizer": .string("sgd")]) {
        case .success(let reports): return reports.last?.validationLoss ?? .nan
        case .failure: return .infinity
        }
    }

    @Test func theLearningRateMatters() throws {
        let good = try Self.finalLoss(learningRate: 1e-2)
        let tiny = try Self.finalLoss(learningRate: 1e-6)
        let huge = try Self.finalLoss(learningRate: 10)
        #expect(good < tiny, "lr 1e-2: \(good), lr 1e-6: \(tiny)")
        #expect(good < huge, "lr 1e-2: \(good), lr 10: \(huge)")
        #expect(tiny > 2.0, "lr 1e-6 should barely move from chance (ln 10 = 2.30), got \(tiny)")
    }

    @Test func learnsTheDigitsAndReportsEveryEpoch() throws {
        let reports = try Self.run(["learning_rate": .double(0.003), "epochs": .int(8), "optimizer": .string("adam"),
                                    "hidden_units": .int(64), "lr_schedule": .string("cosine")]).get()
        #expect(reports.map(\.epoch) == Array(1...8))
        #expect(try #require(reports.last).validationAccuracy > 0.9)
        #expect(reports.last!.validationLoss < reports.first!.validationLoss)
    }

    @Test func sameSettingsSameRun() throws {
        let values: [String: ParameterValue] = ["epochs": .int(3), "dropout": .double(0.2), "optimizer": .string("momentum"),
                                                "seed": .int(4), "weight_decay": .double(1e-4)]
        let a = try Self.run(values).get().map(\.validationLoss)
        let b = try Self.run(values).get().map(\.validationLoss)
        var other = values
        other["seed"] = .int(5)
        let c = try Self.run(other).get().map(\.validationLoss)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func anExplodingLossIsReportedAsDivergence() throws {
        let outcome = try Self.run(["learning_rate": .double(500), "epochs": .int(5), "optimizer": .string("sgd")])
        guard case .failure(.diverged) = outcome else {
            Issue.record("expected divergence, got \(outcome)")
            return
        }
    }

    @Test func badSettingsAreRefusedWithTheirName() {
        #expect(throws: (any Error).self) { try MLPSettings(Configuration(["optimizer": .string("rmsprop")])) }
        #expect(throws: (any Error).self) { try MLPSettings(Configuration(["batch_size": .double(3.5)])) }
        #expect(throws: (any Error).self) { try MLPSettings(Configuration(["learning_rate": .double(-1)])) }
    }
}
