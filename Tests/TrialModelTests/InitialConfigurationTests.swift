import Testing
import TrialModel

@Suite struct InitialConfigurationTests {
    static func study(_ initial: String) -> String {
        """
        name: s
        metric: {name: loss}
        budget: {trials: 5}
        parameters:
          lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
          units: {type: int, low: 16, high: 256}
          optimizer: {type: categorical, values: [sgd, adam]}
          nesterov: {type: categorical, values: [true, false]}
        initial_configurations:
        \(initial)
        """
    }

    @Test func readsFullAndPartialConfigurationsInOrder() throws {
        let spec = try StudyFile.parse(Self.study("""
              - {lr: 0.01, units: 64, optimizer: adam, nesterov: false}
              - {units: 32}
              - {lr: 1}
            """), file: "s.yaml")
        #expect(spec.initialConfigurations == [
            Configuration(["lr": .double(0.01), "units": .int(64), "optimizer": .string("adam"), "nesterov": .bool(false)]),
            Configuration(["units": .int(32)]),
            // An int written for a float parameter is stored as the float it means.
            Configuration(["lr": .double(1)]),
        ])
    }

    @Test func aStudyWithoutThemHasNone() throws {
        let spec = try StudyFile.parse(Self.study("  []").replacingOccurrences(of: "initial_configurations:\n  []", with: ""),
                                       file: "s.yaml")
        #expect(spec.initialConfigurations == nil)
    }

    @Test(arguments: [
        ("  - {learning_rate: 0.1}", "initial_configurations[0].learning_rate",
         "unknown parameter; expected one of lr, units, optimizer, nesterov"),
        ("  - {units: 32}\n  - {lr: 2.0}", "initial_configurations[1].lr", "must be between 0.0001 and 1.0, not 2.0"),
        ("  - {units: 8}", "initial_configurations[0].units", "must be between 16 and 256, not 8"),
        ("  - {units: 32.5}", "initial_configurations[0].units", "must be a whole number, not '32.5'"),
        ("  - {lr: fast}", "initial_configurations[0].lr", "must be a number, not 'fast'"),
        ("  - {optimizer: rmsprop}", "initial_configurations[0].optimizer", "must be one of sgd, adam, not 'rmsprop'"),
        ("  - {nesterov: maybe}", "initial_configurations[0].nesterov", "must be one of true, false, not 'maybe'"),
        ("  - {}", "initial_configurations[0]", "non-empty mapping"),
        ("  - lr", "initial_configurations[0]", "non-empty mapping"),
        ("  {lr: 0.1}", "initial_configurations", "must be a list"),
        ("  - {lr: [0.1, 0.2]}", "initial_configurations[0].lr", "a single value"),
    ])
    func aBadConfigurationGetsOneLineNamingItsField(initial: String, field: String, problem: String) throws {
        let error = #expect(throws: StudyFileError.self) { try StudyFile.parse(Self.study(initial), file: "bad.yaml") }
        #expect(error?.field == field)
        #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("bad.yaml: \(field): ") == true)
        #expect(error?.line != nil && error?.description.contains("\n") == false)
    }

    @Test func commandLineValuesAreReadByTheParametersType() throws {
        let space = try StudyFile.parse(Self.study("  []"), file: "s.yaml").space
        #expect(try space.value(of: "lr", parsing: "0.5") == .double(0.5))
        #expect(try space.value(of: "units", parsing: "64") == .int(64))
        #expect(try space.value(of: "optimizer", parsing: "adam") == .string("adam"))
        #expect(try space.value(of: "nesterov", parsing: "true") == .bool(true))
        #expect(throws: ParameterValueError("must be a whole number, not '6.5'")) { try space.value(of: "units", parsing: "6.5") }
        #expect(throws: ParameterValueError("must be between 0.0001 and 1.0, not 5.0")) { try space.value(of: "lr", parsing: "5") }
        #expect(throws: ParameterValueError.self) { try space.value(of: "momentum", parsing: "0.9") }
    }
}
