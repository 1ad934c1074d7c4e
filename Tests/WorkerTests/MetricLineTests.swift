import Testing
@testable import Worker
import TrialModel

@Suite struct MetricLineTests {
    @Test(arguments: [
        ("val_loss=0.25", 0.25, nil),
        ("val_loss: 0.25", 0.25, nil),
        ("epoch 3/10 val_loss=0.125 acc=0.91 step=3", 0.125, 3),
        ("step=7, val_loss = 1e-3", 0.001, 7),
        ("  val_loss:2", 2.0, nil),
    ] as [(String, Double, Int?)])
    func readsReports(line: String, value: Double, step: Int?) {
        #expect(MetricLine.parse(line, metric: "val_loss") == MetricLine(value: value, step: step))
    }

    @Test(arguments: ["loss=0.3", "my_val_loss=0.3", "val_loss=abc", "val_loss", "nothing here", "val_loss_ratio=2"])
    func ignoresOtherLines(line: String) {
        #expect(MetricLine.parse(line, metric: "val_loss") == nil)
    }

    @Test func nonFiniteValuesAreReports() {
        #expect(MetricLine.parse("val_loss=nan", metric: "val_loss")?.value.isNaN == true)
        #expect(MetricLine.parse("val_loss=NaN", metric: "val_loss")?.value.isNaN == true)
        #expect(MetricLine.parse("val_loss=inf", metric: "val_loss")?.value == .infinity)
    }
}

struct GPUSlotTests {
    @Test func eachSlotGetsItsOwnGPUs() {
        func devices(_ slots: Int, _ gpus: [String]) -> [String?] {
            (0..<slots).map { WorkerConfiguration.visibleDevices(slot: $0, slots: slots, gpus: gpus) }
        }
        #expect(devices(4, ["0", "1", "2", "3"]) == ["0", "1", "2", "3"])
        #expect(devices(2, ["0", "1", "2", "3"]) == ["0,2", "1,3"])
        #expect(devices(4, ["4", "5"]) == ["4", "5", "4", "5"])
        #expect(devices(2, []) == [nil, nil])
    }
}

@Suite struct InactiveParameterTemplateTests {
    @Test func anInactiveParameterRendersEmptyAndHasNoVariable() {
        let template = CommandTemplate(["train", "--optimizer={optimizer}", "--momentum", "{momentum}", "{other}"])
        let configuration = Configuration(["optimizer": .string("adam")])
        #expect(template.arguments(for: configuration, inactive: ["momentum"])
                == ["train", "--optimizer=adam", "--momentum", "", "{other}"])
        let environment = CommandTemplate.environment(trial: TrialID(3), configuration: configuration)
        #expect(environment["SEXTANT_PARAM_OPTIMIZER"] == "adam" && environment["SEXTANT_PARAM_MOMENTUM"] == nil)
        #expect(environment["SEXTANT_PARAMS"] == #"{"optimizer":"adam"}"#)
    }
}

@Suite struct FidelityTemplateTests {
    @Test func theCommandGetsTheFidelityMaximum() {
        let template = CommandTemplate(["train", "--epochs", "{max_steps}", "--lr={lr}"])
        let configuration = Configuration(["lr": .double(0.1)])
        #expect(template.arguments(for: configuration, maxSteps: 52) == ["train", "--epochs", "52", "--lr=0.1"])
        // Without a fidelity the placeholder is not a parameter's and stays as it is.
        #expect(template.arguments(for: configuration) == ["train", "--epochs", "{max_steps}", "--lr=0.1"])
        #expect(CommandTemplate.environment(trial: TrialID(1), configuration: configuration, maxSteps: 52)["SEXTANT_MAX_STEPS"] == "52")
        #expect(CommandTemplate.environment(trial: TrialID(1), configuration: configuration)["SEXTANT_MAX_STEPS"] == nil)
    }
}
