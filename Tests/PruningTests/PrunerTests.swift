import Pruning
import Testing
import TrialModel

@Suite struct MedianPrunerTests {
    static func history(_ values: [Int64: [Int: Double]], goal: Goal = .minimize) -> ReportHistory {
        ReportHistory(goal: goal, values: Dictionary(uniqueKeysWithValues: values.map { (TrialID($0.key), $0.value) }))
    }

    @Test func prunesWhenTheBestSoFarIsWorseThanTheMedianAtThatStep() {
        let pruner = MedianPruner(startupTrials: 3, warmupSteps: 0)
        // Others at step 2: 0.5, 0.6, 0.9 -> median 0.6.
        var history = Self.history([1: [1: 0.8, 2: 0.5], 2: [1: 0.9, 2: 0.6], 3: [1: 1.0, 2: 0.9]])
        history.record(trial: TrialID(4), step: 1, value: 0.7)
        history.record(trial: TrialID(4), step: 2, value: 0.65)
        // Best so far 0.65 > 0.6: prune.
        #expect(pruner.shouldPrune(trial: TrialID(4), step: 2, history: history))
        // Had it reached 0.55 at step 1, its best so far (0.55) beats the median: continue.
        history.record(trial: TrialID(4), step: 1, value: 0.55)
        #expect(!pruner.shouldPrune(trial: TrialID(4), step: 2, history: history))
    }

    @Test func waitsForStartupTrialsAndWarmup() {
        let history = Self.history([1: [1: 0.1, 2: 0.1], 2: [1: 0.2, 2: 0.2], 3: [1: 5, 2: 5]])
        // Two others at step 2 (median 0.15), trial 3 is far worse.
        #expect(MedianPruner(startupTrials: 2, warmupSteps: 0).shouldPrune(trial: TrialID(3), step: 2, history: history))
        #expect(!MedianPruner(startupTrials: 3, warmupSteps: 0).shouldPrune(trial: TrialID(3), step: 2, history: history))
        #expect(!MedianPruner(startupTrials: 2, warmupSteps: 2).shouldPrune(trial: TrialID(3), step: 2, history: history))
    }

    @Test func maximizingFlipsTheComparison() {
        // Others at step 1: 0.8, 0.9 -> median 0.85 (accuracy, higher is better).
        let history = Self.history([1: [1: 0.8], 2: [1: 0.9], 3: [1: 0.7], 4: [1: 0.95]], goal: .maximize)
        let pruner = MedianPruner(startupTrials: 2, warmupSteps: 0)
        #expect(pruner.shouldPrune(trial: TrialID(3), step: 1, history: history))
        // Trial 4's others are 0.8, 0.9, 0.7: median 0.8 < 0.95.
        #expect(!pruner.shouldPrune(trial: TrialID(4), step: 1, history: history))
    }
}

@Suite struct ASHAPrunerTests {
    @Test func decidesAtEachRungAsReportsArrive() {
        // η = 3, rungs at 1, 3, 9.
        let pruner = ASHAPruner(minSteps: 1, reductionFactor: 3)
        var history = ReportHistory(goal: .minimize)
        func report(_ trial: Int64, _ step: Int, _ value: Double) -> Bool {
            history.record(trial: TrialID(trial), step: step, value: value)
            return pruner.shouldPrune(trial: TrialID(trial), step: step, history: history)
        }
        // Rung 1. First arrival: n = 1, keep max(1, 0) = 1: it is the best of one.
        #expect(!report(1, 1, 0.50))
        // n = 2, keep 1: 0.70 is second: prune.
        #expect(report(2, 1, 0.70))
        // n = 3, keep 1: 0.40 is the best: continue.
        #expect(!report(3, 1, 0.40))
        // n = 4, keep 1: 0.45 has one better (0.40): prune.
        #expect(report(4, 1, 0.45))
        // n = 6 after these two; keep 2. 0.42: one better (0.40): continue.
        #expect(report(5, 1, 0.90))
        #expect(!report(6, 1, 0.42))
        // Step 2 is no rung: no decision. Step 3 is: trial 1 is the first there.
        #expect(!report(1, 2, 0.30))
        #expect(!report(1, 3, 0.25))
        // Trial 3 reaches rung 3 second with 0.28 > 0.25: n = 2, keep 1: prune.
        #expect(!report(3, 2, 0.35))
        #expect(report(3, 3, 0.28))
        // Trial 6 skips step 3 and first reports at 4 (≥ rung 3) with 0.2: best: continue.
        #expect(!report(6, 4, 0.20))
        // A later report between rungs is not a new decision.
        #expect(!report(6, 5, 0.99))
    }

    @Test func rungsFollowMinStepsAndEta() {
        let pruner = ASHAPruner(minSteps: 2, reductionFactor: 2)
        var history = ReportHistory(goal: .maximize)
        history.record(trial: TrialID(1), step: 1, value: 0.9)
        history.record(trial: TrialID(2), step: 1, value: 0.1)
        // Step 1 is below the first rung (2): never pruned there.
        #expect(!pruner.shouldPrune(trial: TrialID(2), step: 1, history: history))
        history.record(trial: TrialID(1), step: 2, value: 0.9)
        history.record(trial: TrialID(2), step: 2, value: 0.1)
        // Rung 2, maximizing, n = 2, keep 1: 0.1 loses to 0.9.
        #expect(pruner.shouldPrune(trial: TrialID(2), step: 2, history: history))
        #expect(!pruner.shouldPrune(trial: TrialID(1), step: 2, history: history))
    }
}
