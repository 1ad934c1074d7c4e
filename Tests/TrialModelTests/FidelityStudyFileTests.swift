import Foundation
import Testing
import TrialModel

@Suite struct FidelityStudyFileTests {
    static func study(fidelity: String, parameters: String = "lr: {type: float, low: 1.0e-4, high: 0.1, log: true}") -> String {
        """
        name: f
        metric: {name: val_loss, goal: minimize}
        budget: {trials: 10}
        fidelity: \(fidelity)
        parameters:
          \(parameters)
        """
    }

    @Test func readsTheFidelityWithItsDefaults() throws {
        let spec = try StudyFile.parse(Self.study(fidelity: "{max_steps: 52}"), file: "s.yaml")
        #expect(spec.fidelity == StudySpec.Fidelity(maxSteps: 52, minSteps: 1, stopProbability: 0.3, stopRatio: 0.5))
        let custom = try StudyFile.parse(Self.study(fidelity: "{max_steps: 20, min_steps: 3, stop_probability: 0, stop_ratio: 0}"),
                                         file: "s.yaml")
        #expect(custom.fidelity == StudySpec.Fidelity(maxSteps: 20, minSteps: 3, stopProbability: 0, stopRatio: 0))
        #expect(try StudyFile.parse(Self.study(fidelity: "{max_steps: 5}").replacingOccurrences(of: "fidelity: {max_steps: 5}\n", with: ""),
                                    file: "s.yaml").fidelity == nil)
    }

    @Test(arguments: [
        ("{min_steps: 2}", "max_steps"),
        ("{max_steps: 1}", "at least 2"),
        ("{max_steps: 10, min_steps: 10}", "below max_steps"),
        ("{max_steps: 10, stop_probability: 1}", "below 1"),
        ("{max_steps: 10, stop_probability: -0.1}", "at least 0"),
        ("{max_steps: 10, stop_ratio: 1.5}", "between 0 and 1"),
        ("{max_steps: 10, stop_ratio: -0.5}", "between 0 and 1"),
        ("{max_steps: 10, rungs: 3}", "rungs"),
    ])
    func rejectsABadFidelity(fidelity: String, problem: String) throws {
        let error = #expect(throws: StudyFileError.self) { try StudyFile.parse(Self.study(fidelity: fidelity), file: "s.yaml") }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }

    @Test func stopsOnlyWhatItsOwnCurveCondemns() {
        let fidelity = StudySpec.Fidelity(maxSteps: 10, minSteps: 2, stopProbability: 0.15, stopRatio: 0.5)
        #expect(fidelity.stops(atStep: 3, probability: 0.02, priorProbability: 0.06))
        #expect(!fidelity.stops(atStep: 3, probability: 0.04, priorProbability: 0.06), "expected of it when it started")
        #expect(!fidelity.stops(atStep: 3, probability: 0.2, priorProbability: 0.9), "not below stop_probability")
        #expect(fidelity.stops(atStep: 3, probability: 0.04, priorProbability: nil), "nothing known before its reports")
        #expect(fidelity.stops(atStep: 3, probability: 1e-5, priorProbability: 1.5e-5), "hopeless")
        #expect(!fidelity.stops(atStep: 1, probability: 0, priorProbability: 1) && !fidelity.stops(atStep: 10, probability: 0))
        var absolute = fidelity
        absolute.stopRatio = 0
        #expect(absolute.stops(atStep: 3, probability: 0.04, priorProbability: 0.06))
    }

    /// A study stored before `stop_ratio` existed keeps stopping as it did.
    @Test func aStoredStudyWithoutTheRatioReadsWithoutIt() throws {
        let stored = #"{"maxSteps": 52, "minSteps": 1, "stopProbability": 0.15}"#
        let fidelity = try JSONDecoder().decode(StudySpec.Fidelity.self, from: Data(stored.utf8))
        #expect(fidelity == StudySpec.Fidelity(maxSteps: 52, minSteps: 1, stopProbability: 0.15, stopRatio: 0))
        let current = StudySpec.Fidelity(maxSteps: 52)
        #expect(try JSONDecoder().decode(StudySpec.Fidelity.self, from: JSONEncoder().encode(current)) == current)
    }

    @Test(arguments: ["epochs", "num_epochs", "max_steps", "Iterations"])
    func refusesToSearchTheTrainingLength(name: String) throws {
        let error = #expect(throws: StudyFileError.self) {
            try StudyFile.parse(Self.study(fidelity: "{max_steps: 30}", parameters: "\(name): {type: int, low: 1, high: 30}"), file: "s.yaml")
        }
        #expect(error?.description.contains("cannot be searched in a study with a fidelity") == true, "\(String(describing: error))")
        #expect(error?.description.contains("{max_steps}") == true)
    }

    /// The example the demo runs with epochs as the fidelity.
    @Test func theShippedExampleReads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try StudyFile.load(path: root.appendingPathComponent("docs/examples/mlp-digits-fidelity.yaml").path)
        #expect(spec.fidelity?.maxSteps == 27)
        #expect(!spec.space.parameters.contains { $0.name == "epochs" })
    }
}
