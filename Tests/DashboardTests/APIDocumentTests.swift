@testable import Dashboard
import Foundation
import Testing
import TrialModel

/// The JSON of `/api/*` and export, written out in full: the page's script, `sextant status
/// --url`, scripts and docs/dashboard.md read these keys, so renaming one must fail here.
struct APIDocumentTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000.125)

    static let spec = StudySpec(
        name: "golden", metric: .init(name: "loss", goal: .minimize), budget: .init(trials: 9, maxSeconds: 120),
        optimizer: .init(kind: .random, seed: 3), pruner: .init(kind: .median),
        space: SearchSpace([
            Parameter(name: "lr", domain: .float(low: 1e-5, high: 0.1, log: true)),
            Parameter(name: "n", domain: .int(low: 1, high: 64, log: false)),
            Parameter(name: "opt", domain: .categorical([.string("sgd"), .string("adam")])),
        ]))

    /// One trial in each state: a NaN value, a stderr tail with characters to escape, no dates.
    static let trials = [
        Trial(id: TrialID(1), state: .completed,
              configuration: Configuration(["lr": .double(0.001), "n": .int(3), "opt": .string("sgd")]),
              value: 0.25, step: 3, attempt: 1, worker: "w1", startedAt: t0, finishedAt: t0.addingTimeInterval(2.5)),
        Trial(id: TrialID(2), state: .pruned,
              configuration: Configuration(["lr": .double(0.01), "n": .int(8), "opt": .string("adam")]),
              value: 3, step: 2, attempt: 2, worker: "w2", startedAt: t0.addingTimeInterval(1),
              finishedAt: t0.addingTimeInterval(4), reason: "pruned by the coordinator"),
        Trial(id: TrialID(3), state: .failed,
              configuration: Configuration(["lr": .double(1e-5), "n": .int(1), "opt": .string("sgd")]),
              value: .nan, attempt: 1, worker: "w1", startedAt: t0.addingTimeInterval(2),
              finishedAt: t0.addingTimeInterval(3), reason: "exit status 1", stderrTail: "Traceback\n  boom \"x\" / y"),
        Trial(id: TrialID(4), state: .running,
              configuration: Configuration(["lr": .double(0.1), "n": .int(64), "opt": .string("adam")]),
              step: 1, worker: "w2", startedAt: t0.addingTimeInterval(5)),
        Trial(id: TrialID(5), state: .pending,
              configuration: Configuration(["lr": .double(0.0301), "n": .int(2), "opt": .string("adam")])),
    ]

    /// A non-finite report is left out of the curve.
    static let reports = [
        TrialReport(trial: TrialID(2), step: 1, value: 4.5), TrialReport(trial: TrialID(2), step: 2, value: 3),
        TrialReport(trial: TrialID(1), step: 1, value: 0.1 + 0.2), TrialReport(trial: TrialID(4), step: 1, value: .infinity),
    ]

    static let live = LiveStatus(
        workers: [
            LiveStatus.Worker(name: "w1", host: "node7", slots: 2, running: [], secondsSinceHeartbeat: 0.375, joinedAt: t0),
            LiveStatus.Worker(name: "w2", host: nil, slots: 1, running: [4], secondsSinceHeartbeat: 1,
                              joinedAt: t0.addingTimeInterval(0.5)),
        ],
        suggestLatency: LiveStatus.Histogram(
            bounds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            cumulative: [1, 1] + Array(repeating: 2, count: 12), sum: 0.0035),
        startedAt: t0.addingTimeInterval(-1), stopping: false)

    static func snapshot(live: LiveStatus?) -> DashboardSnapshot {
        DashboardSnapshot(spec: spec, state: "running", createdAt: t0.addingTimeInterval(-10), trials: trials,
                          reports: reports, live: live, takenAt: t0.addingTimeInterval(10))
    }

    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try StudyDocument.data(value), as: UTF8.self)
    }

    @Test func studyIsWrittenWithEveryKeyThePageAndStatusRead() throws {
        #expect(try Self.text(StudyOverview(Self.snapshot(live: Self.live))) == Self.studyLive)
    }

    @Test func withoutACoordinatorTheStudyLeavesOutItsClockAndHasNoEstimate() throws {
        #expect(try Self.text(StudyOverview(Self.snapshot(live: nil))) == Self.studyOffline)
    }

    @Test func trialsWriteAbsentValuesAsNullAndCarryTheirFiniteReports() throws {
        let snapshot = Self.snapshot(live: Self.live)
        #expect(try Self.text(TrialEntry.withReports(snapshot.trials, reports: snapshot.reports)) == Self.trialsText)
    }

    @Test func workersWriteAMissingHostAsNull() throws {
        #expect(try Self.text(Self.live.workers.map(WorkerEntry.init)) == Self.workersText)
    }

    @Test func exportedTrialsHaveNoReportsKey() throws {
        let text = try Self.text(Self.trials.map { TrialEntry($0) })
        #expect(!text.contains("reports"))
        #expect(text.contains(#""stderr_tail":null"#))
    }

    @Test func exportSummaryKeepsItsShape() throws {
        let summary = StudySummary(spec: Self.spec, state: "running", createdAt: Self.t0.addingTimeInterval(-10),
                                   trials: Self.trials)
        #expect(try Self.text(summary) == Self.exportStudy)
    }

    /// What `sextant status --url` does: read the answers back and write them again unchanged.
    @Test func documentsReadBackToTheSameJSON() throws {
        let decoder = StudyDocument.decoder()
        for text in [Self.studyLive, Self.studyOffline] {
            let study = try decoder.decode(StudyOverview.self, from: Data(text.utf8))
            #expect(study.spec == Self.spec)
            #expect(try Self.text(study) == text)
        }
        let trials = try decoder.decode([TrialEntry].self, from: Data(Self.trialsText.utf8))
        #expect(try Self.text(trials) == Self.trialsText)
        #expect(trials.map(\.trial.id) == Self.trials.map(\.id))
        #expect(trials[2].trial.stderrTail == Self.trials[2].stderrTail)
        let workers = try decoder.decode([WorkerEntry].self, from: Data(Self.workersText.utf8))
        #expect(try Self.text(workers) == Self.workersText)
    }

    @Test func anAnswerWithoutAKeyThePageNeedsIsNotRead() {
        let missing = Self.workersText.replacingOccurrences(of: "last_heartbeat_seconds", with: "heartbeat")
        #expect(throws: DecodingError.self) {
            try StudyDocument.decoder().decode([WorkerEntry].self, from: Data(missing.utf8))
        }
    }

    @Test func metricsAreUnchanged() {
        #expect(PrometheusText.render(Self.snapshot(live: Self.live)) == Self.metricsLive)
        #expect(PrometheusText.render(Self.snapshot(live: nil)) == Self.metricsOffline)
    }

    // Written by the implementation these types replaced (`[String: Any]` through
    // JSONSerialization with sorted keys), so the shapes are unchanged.
    static let studyLive = #"{"best":{"id":1,"params":{"lr":0.001,"n":3,"opt":"sgd"},"value":0.25},"best_trial":1,"budget":{"max_seconds":120,"trials":9},"coordinator_started_at":"2026-09-21T14:13:19.125Z","counts":{"completed":1,"failed":1,"pending":1,"pruned":1,"running":1},"created_at":"2026-09-21T14:13:10.125Z","elapsed_seconds":11,"eta_seconds":22,"finished":3,"goal":"minimize","importance":{},"metric":"loss","name":"golden","now":"2026-09-21T14:13:30.125Z","optimizer":"random","parameters":["lr","n","opt"],"pruner":"median","space":[{"high":0.1,"log":true,"low":1e-05,"name":"lr","type":"float"},{"high":64,"log":false,"low":1,"name":"n","type":"int"},{"choices":["sgd","adam"],"name":"opt","type":"categorical"}],"spec":{"budget":{"maxSeconds":120,"trials":9},"maxRetries":3,"metric":{"goal":"minimize","name":"loss"},"name":"golden","optimizer":{"gridPoints":5,"initialTrials":8,"kind":"random","seed":3},"pruner":{"kind":"median","minSteps":1,"reductionFactor":3,"startupTrials":5,"warmupSteps":0},"space":{"parameters":[{"domain":{"float":{"high":0.1,"log":true,"low":1e-05}},"name":"lr"},{"domain":{"int":{"high":64,"log":false,"low":1}},"name":"n"},{"domain":{"categorical":{"_0":["sgd","adam"]}},"name":"opt"}]},"trialTimeoutSeconds":900},"state":"running","stopping":false}"#

    static let studyOffline = #"{"best":{"id":1,"params":{"lr":0.001,"n":3,"opt":"sgd"},"value":0.25},"best_trial":1,"budget":{"max_seconds":120,"trials":9},"counts":{"completed":1,"failed":1,"pending":1,"pruned":1,"running":1},"created_at":"2026-09-21T14:13:10.125Z","elapsed_seconds":4,"eta_seconds":null,"finished":3,"goal":"minimize","importance":{},"metric":"loss","name":"golden","now":"2026-09-21T14:13:30.125Z","optimizer":"random","parameters":["lr","n","opt"],"pruner":"median","space":[{"high":0.1,"log":true,"low":1e-05,"name":"lr","type":"float"},{"high":64,"log":false,"low":1,"name":"n","type":"int"},{"choices":["sgd","adam"],"name":"opt","type":"categorical"}],"spec":{"budget":{"maxSeconds":120,"trials":9},"maxRetries":3,"metric":{"goal":"minimize","name":"loss"},"name":"golden","optimizer":{"gridPoints":5,"initialTrials":8,"kind":"random","seed":3},"pruner":{"kind":"median","minSteps":1,"reductionFactor":3,"startupTrials":5,"warmupSteps":0},"space":{"parameters":[{"domain":{"float":{"high":0.1,"log":true,"low":1e-05}},"name":"lr"},{"domain":{"int":{"high":64,"log":false,"low":1}},"name":"n"},{"domain":{"categorical":{"_0":["sgd","adam"]}},"name":"opt"}]},"trialTimeoutSeconds":900},"state":"running"}"#

    static let trialsText = #"[{"attempt":1,"finished_at":"2026-09-21T14:13:22.625Z","id":1,"params":{"lr":0.001,"n":3,"opt":"sgd"},"reason":null,"reports":[[1,0.30000000000000004]],"started_at":"2026-09-21T14:13:20.125Z","state":"completed","stderr_tail":null,"step":3,"value":0.25,"worker":"w1"},{"attempt":2,"finished_at":"2026-09-21T14:13:24.125Z","id":2,"params":{"lr":0.01,"n":8,"opt":"adam"},"reason":"pruned by the coordinator","reports":[[1,4.5],[2,3]],"started_at":"2026-09-21T14:13:21.125Z","state":"pruned","stderr_tail":null,"step":2,"value":3,"worker":"w2"},{"attempt":1,"finished_at":"2026-09-21T14:13:23.125Z","id":3,"params":{"lr":1e-05,"n":1,"opt":"sgd"},"reason":"exit status 1","reports":[],"started_at":"2026-09-21T14:13:22.125Z","state":"failed","stderr_tail":"Traceback\n  boom \"x\" \/ y","step":null,"value":null,"worker":"w1"},{"attempt":1,"finished_at":null,"id":4,"params":{"lr":0.1,"n":64,"opt":"adam"},"reason":null,"reports":[],"started_at":"2026-09-21T14:13:25.125Z","state":"running","stderr_tail":null,"step":1,"value":null,"worker":"w2"},{"attempt":1,"finished_at":null,"id":5,"params":{"lr":0.0301,"n":2,"opt":"adam"},"reason":null,"reports":[],"started_at":null,"state":"pending","stderr_tail":null,"step":null,"value":null,"worker":null}]"#

    static let workersText = #"[{"host":"node7","joined_at":"2026-09-21T14:13:20.125Z","last_heartbeat_seconds":0.375,"name":"w1","running":[],"slots":2},{"host":null,"joined_at":"2026-09-21T14:13:20.625Z","last_heartbeat_seconds":1,"name":"w2","running":[4],"slots":1}]"#

    static let exportStudy = #"{"best_trial":1,"budget":{"max_seconds":120,"trials":9},"counts":{"completed":1,"failed":1,"pending":1,"pruned":1,"running":1},"created_at":"2026-09-21T14:13:10.125Z","goal":"minimize","metric":"loss","name":"golden","optimizer":"random","parameters":["lr","n","opt"],"pruner":"median","state":"running"}"#

    static let metricsLive = """
        # HELP sextant_trials Trials of the study by state.
        # TYPE sextant_trials gauge
        sextant_trials{study="golden",state="pending"} 1
        sextant_trials{study="golden",state="running"} 1
        sextant_trials{study="golden",state="completed"} 1
        sextant_trials{study="golden",state="failed"} 1
        sextant_trials{study="golden",state="pruned"} 1
        # HELP sextant_budget_trials Trials the study will finish in all.
        # TYPE sextant_budget_trials gauge
        sextant_budget_trials{study="golden"} 9
        # HELP sextant_best_value Best value of the metric so far.
        # TYPE sextant_best_value gauge
        sextant_best_value{study="golden",metric="loss",goal="minimize"} 0.25
        # HELP sextant_workers_connected Workers connected to the coordinator.
        # TYPE sextant_workers_connected gauge
        sextant_workers_connected{study="golden"} 2
        # HELP sextant_worker_slots Trial slots of the connected workers.
        # TYPE sextant_worker_slots gauge
        sextant_worker_slots{study="golden"} 3
        # HELP sextant_suggest_latency_seconds Time the optimizer took to suggest a trial.
        # TYPE sextant_suggest_latency_seconds histogram
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.001"} 1
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.0025"} 1
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.005"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.01"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.025"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.05"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.1"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.25"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="0.5"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="1"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="2.5"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="5"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="10"} 2
        sextant_suggest_latency_seconds_bucket{study="golden",le="+Inf"} 2
        sextant_suggest_latency_seconds_sum{study="golden"} 0.0035
        sextant_suggest_latency_seconds_count{study="golden"} 2

        """

    static let metricsOffline = """
        # HELP sextant_trials Trials of the study by state.
        # TYPE sextant_trials gauge
        sextant_trials{study="golden",state="pending"} 1
        sextant_trials{study="golden",state="running"} 1
        sextant_trials{study="golden",state="completed"} 1
        sextant_trials{study="golden",state="failed"} 1
        sextant_trials{study="golden",state="pruned"} 1
        # HELP sextant_budget_trials Trials the study will finish in all.
        # TYPE sextant_budget_trials gauge
        sextant_budget_trials{study="golden"} 9
        # HELP sextant_best_value Best value of the metric so far.
        # TYPE sextant_best_value gauge
        sextant_best_value{study="golden",metric="loss",goal="minimize"} 0.25

        """
}
