import Testing
import TrialModel

@Suite struct UnitCubeTests {
    @Test func floatsMapLinearlyOrInLog() {
        let linear = Parameter(name: "x", domain: .float(low: -3, high: 3, log: false))
        #expect(linear.decode(0.5) == .double(0))
        #expect(linear.encode(.double(1.5)) == 0.75)
        let log = Parameter(name: "lr", domain: .float(low: 1e-5, high: 1, log: true))
        #expect(abs(log.encode(.double(1e-3)) - 0.4) < 1e-12)
        guard case .double(let value) = log.decode(0.4) else { Issue.record("not a double"); return }
        #expect(abs(value - 1e-3) < 1e-15)
    }

    @Test func integersOwnEqualIntervals() {
        let epochs = Parameter(name: "e", domain: .int(low: 1, high: 4, log: false))
        // Four integers, each owning a quarter of [0, 1].
        #expect(epochs.decode(0.0) == .int(1))
        #expect(epochs.decode(0.24) == .int(1))
        #expect(epochs.decode(0.26) == .int(2))
        #expect(epochs.decode(1.0) == .int(4))
        for value in 1...4 {
            #expect(epochs.decode(epochs.encode(.int(value))) == .int(value))
        }
    }

    @Test func logIntegersAndCategoricalsRoundTrip() {
        let batch = Parameter(name: "b", domain: .int(low: 16, high: 512, log: true))
        for value in [16, 17, 100, 511, 512] {
            #expect(batch.decode(batch.encode(.int(value))) == .int(value))
        }
        let choice = Parameter(name: "o", domain: .categorical([.string("sgd"), .string("adam"), .int(3)]))
        for value in [ParameterValue.string("sgd"), .string("adam"), .int(3)] {
            #expect(choice.decode(choice.encode(value)) == value)
        }
        #expect(choice.decode(1.0) == .int(3))
    }

    @Test func decodeClampsOutOfRangeAndNonFinite() {
        let x = Parameter(name: "x", domain: .float(low: 0, high: 1, log: false))
        #expect(x.decode(-0.5) == .double(0))
        #expect(x.decode(7) == .double(1))
        #expect(x.decode(.nan) == .double(0.5))
    }

    @Test func gridValues() {
        #expect(Parameter(name: "x", domain: .float(low: 0, high: 1, log: false)).gridValues(points: 3)
            == [.double(0), .double(0.5), .double(1)])
        #expect(Parameter(name: "n", domain: .int(low: 2, high: 4, log: false)).gridValues(points: 2)
            == [.int(2), .int(3), .int(4)])
    }

    @Test func commandLineTextNeverLooksLikeAnOption() {
        #expect(ParameterValue.double(-1e-5).description == "-0.00001")
        #expect(ParameterValue.double(1e-5).description == "1e-05")
        #expect(ParameterValue.double(0.25).description == "0.25")
        #expect(ParameterValue.int(64).description == "64")
    }
}
