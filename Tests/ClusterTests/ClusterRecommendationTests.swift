import ANASOD
@testable import Cluster
import Foundation
import Journal
import Search
import TestSupport
import Testing
import Wire

/// Issue 26 in the cluster: the strategy observes each result's seconds, live and on resume alike; its
/// recommendation is journaled when it changes, is no strategy event on resume, and is shown beside the
/// best seen.
@Suite struct ClusterRecommendationTests {
    let space = NB201SearchSpace()
    let peer = PeerID(Array("w1".utf8))

    func state(budget: Int = 10) -> CoordinatorState {
        var c = StudyConfiguration(study: "t")
        c.budget = budget
        c.maxAttempts = 2
        c.jobTimeout = 10
        c.workerTimeout = 3
        c.heartbeatInterval = 1
        c.evaluator.kind = .synthetic
        var s = CoordinatorState(configuration: c, space: space)
        s.endWhenNoWorkerCanRun = true  // a machine's own worker: its failures count at once
        return s
    }

    func proposals(_ n: Int) -> [(job: UInt64, proposal: Proposal)] {
        (0..<n).map { i in
            let arch = space.architecture(at: 101 * (i + 1))
            return (UInt64(i + 1), Proposal(architecture: arch, encoding: space.encode(arch)))
        }
    }

    /// The call's record as the coordinator journals it.
    func proposedRecord(_ call: Int, _ jobs: [(job: UInt64, proposal: Proposal)], observed: Int) -> JournalRecord {
        .proposed(call: call, jobs: jobs.map {
            .init(job: $0.job, architecture: space.format($0.proposal.architecture),
                  encoding: $0.proposal.encoding.parts.map(\.probabilities))
        }, observed: observed)
    }

    /// What a live run hands the strategy (results with their seconds, a retried attempt's result once, a
    /// final failure) is exactly what a resume from the SQLite journal hands it.
    @Test func aResumeGivesTheStrategyTheObservationsItHadLiveSecondsIncluded() throws {
        var live = state()
        var records = [JournalRecord]()
        var observations = [Observation]()
        func run(_ actions: [CoordinatorAction]) -> [Job] {
            for action in actions {
                switch action {
                case .journal(let record): records.append(record)
                case .observe(_, _, _, let proposal, let outcome):
                    let result: Metrics? = if case .result(let m) = outcome { m } else { nil }
                    observations.append(CoordinatorState.observation(of: proposal, result: result))
                default: break
                }
            }
            return actions.compactMap { if case .send(_, .job(let j)) = $0 { j } else { nil } }
        }
        _ = run(live.handle(.hello(Hello(workerID: "w1", host: "h", slots: 3, evaluators: [Capability(kind: .synthetic)],
                                         software: "t")), from: peer, now: 0))
        _ = run(live.handle(.request(JobRequest(slots: 3)), from: peer, now: 0))
        let batch = proposals(3)
        records.append(proposedRecord(0, batch, observed: 0))
        let jobs = run(live.proposalsArrived(batch, now: 0))
        #expect(jobs.count == 3)
        _ = run(live.handle(.result(JobResult(key: jobs[0].key, validationError: 12.5, trainSeconds: 731.25)), from: peer, now: 1))
        // A retryable failure, then the retry's result: one observation, with the retry's seconds.
        _ = run(live.handle(.failure(JobFailure(key: jobs[1].key, reason: "lost", class: .transient)), from: peer, now: 2))
        let retry = run(live.handle(.request(JobRequest(slots: 1)), from: peer, now: 2))
        #expect(retry.first?.key == JobKey(jobID: jobs[1].key.jobID, attempt: 2))
        _ = run(live.handle(.result(JobResult(key: retry[0].key, validationError: 9.75, trainSeconds: 2999.5)), from: peer, now: 3))
        _ = run(live.handle(.failure(JobFailure(key: jobs[2].key, reason: "NaN", class: .architecture)), from: peer, now: 4))
        #expect(observations.map(\.value) == [12.5, 9.75, nil])
        #expect(observations.map(\.seconds) == [731.25, 2999.5, nil])

        let path = NSTemporaryDirectory() + "recommendation-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try SQLiteJournal(path: path)
        try journal.begin(StudyRecord(id: "t", configuration: "", created: 0))
        try journal.append(records)
        var resumed = state()
        let events = try resumed.restore(from: try journal.records(), now: 10)
        let replayed = events.compactMap { if case .observed(let o) = $0 { o } else { nil } }
        #expect(replayed == observations)
    }

    /// A recommendation is journaled when it changes (cell, estimate or the cell's results), never when it is
    /// the same, nil or not a finite number.
    @Test func aRecommendationIsJournaledOnlyWhenItChanges() {
        var s = state()
        let a = space.architecture(at: 7), b = space.architecture(at: 8)
        func journaled(_ r: Recommendation?, after n: Int) -> [JournalRecord] {
            s.recommended(r, afterObservations: n, afterCalls: 2, now: Double(n)).compactMap {
                if case .journal(let record) = $0 { record } else { nil }
            }
        }
        #expect(journaled(nil, after: 1).isEmpty)
        #expect(journaled(Recommendation(architecture: a, estimate: 9, observations: 1), after: 2) == [
            .recommended(architecture: space.format(a), estimate: 9, observations: 1, afterObservations: 2, afterCalls: 2, time: 2)
        ])
        #expect(journaled(Recommendation(architecture: a, estimate: 9, observations: 1), after: 3).isEmpty)
        #expect(journaled(Recommendation(architecture: a, estimate: 8.5, observations: 1), after: 4).count == 1)
        #expect(journaled(Recommendation(architecture: a, estimate: 8.5, observations: 2), after: 5).count == 1)
        #expect(journaled(Recommendation(architecture: b, estimate: 8.5, observations: 2), after: 6).count == 1)
        #expect(journaled(Recommendation(architecture: a, estimate: .nan, observations: 1), after: 7).isEmpty)
        #expect(s.recommendation?.architecture == space.format(b) && s.recommendation?.afterObservations == 6)
    }

    /// A resume knows the journal's last recommendation (the same one is not journaled again), and the
    /// recommendations change nothing the strategy replays.
    @Test func aResumeKnowsTheLastRecommendationAndDoesNotReplayIt() throws {
        let batch = proposals(2)
        let a = batch[0].proposal.architecture
        let plain: [JournalRecord] = [
            proposedRecord(0, batch, observed: 0),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 1),
            .dispatched(job: 2, attempt: 1, worker: "w1", time: 1),
            .result(job: 1, attempt: 1, worker: "w1", metrics: Metrics(validationError: 8, trainSeconds: 5), time: 2),
            .result(job: 2, attempt: 1, worker: "w1", metrics: Metrics(validationError: 9, trainSeconds: 6), time: 3),
        ]
        var withRecommendations = plain
        withRecommendations.insert(.recommended(architecture: space.format(a), estimate: 8, observations: 1, afterObservations: 1,
                                                afterCalls: 1, time: 2.5), at: 4)
        withRecommendations.append(.recommended(architecture: space.format(a), estimate: 8.25, observations: 1, afterObservations: 2,
                                                afterCalls: 1, time: 3.5))
        var without = state(), with = state()
        #expect(try with.restore(from: withRecommendations, now: 10) == without.restore(from: plain, now: 10))
        #expect(without.recommendation == nil)
        #expect(with.recommendation?.estimate == 8.25)
        #expect(with.recommended(Recommendation(architecture: a, estimate: 8.25, observations: 1), afterObservations: 2,
                                 afterCalls: 1, now: 11).isEmpty)
    }

    /// An in-process ANASOD-BO study: its journal holds the strategy's recommendations, each the one the
    /// strategy gives at that place in its history (rebuilt by replay), the last one its answer at the end;
    /// the coordinator's status, `anasod status`, the end-of-run lines and the report show it.
    @Test func aStudyJournalsTheRecommendationsItsStrategyMade() async throws {
        var c = StudyConfiguration(study: "rec")
        c.budget = 24
        c.strategy = StrategyChoice(.anasodBO)
        c.evaluator.kind = .synthetic
        c.heartbeatInterval = 0.2
        c.workerTimeout = 2
        let journal = InMemoryJournal()
        let cluster = try InProcessCluster(configuration: c, journal: journal)
        for i in 0..<2 { cluster.addWorker(id: "w\(i)", slots: 2) }
        let status = try await cluster.finish()
        #expect(status.successes == 24)

        let records = try journal.records()
        let replay = JournalReplay(records)
        let recommended = replay.recommendations
        #expect(!recommended.isEmpty)
        var restoring = CoordinatorState(configuration: c, space: space)
        let events = try restoring.restore(from: replay)
        #expect(events.count == replay.history.count)  // the recommendations are not strategy events
        for r in recommended {
            // The strategy rebuilt to the place in its history where it was asked.
            var strategy = try c.makeStrategy(space: space)
            var observed = 0, calls = 0
            for event in events {
                switch event {
                case .observed where observed < r.afterObservations:
                    observed += 1
                    strategy.replay([event])
                case .proposed where calls < r.afterCalls:
                    calls += 1
                    strategy.replay([event])
                default: break
                }
            }
            let recommendation = strategy.recommendation()
            let expected = try #require(recommendation)
            #expect(space.format(expected.architecture) == r.architecture)
            #expect(abs(expected.estimate - r.estimate) <= 1e-9 * max(1, abs(r.estimate)), "\(expected.estimate) vs \(r.estimate)")
            #expect(expected.observations == r.observations)
        }
        // The last one is the strategy's answer at the end (it was journaled after the last results, or it did
        // not change with them).
        let last = try #require(recommended.last)
        var final = try c.makeStrategy(space: space)
        final.replay(events)
        let answer = final.recommendation()
        #expect(answer.map { space.format($0.architecture) } == last.architecture && answer?.estimate == last.estimate)
        #expect(replay.trials(of: last.architecture).contains { $0.state == .done })
        #expect(status.recommended?.architecture == last.architecture && status.recommended?.estimate == last.estimate)
        // Every observation carried the evaluation's seconds (the synthetic evaluator's 0).
        #expect(events.allSatisfy { if case .observed(let o) = $0 { o.seconds == 0 } else { true } })

        let lines = StatusView(try StudyReport(journal: journal)).lines
        #expect(lines[1].hasPrefix("best seen ") && lines[1].contains(String(format: " · recommended %.3f %% est. (", last.estimate)),
                "\(lines)")
        #expect(RunSummary.lines(status, journal: "j")[1].contains("recommended"))
        let csv = try StudyReport(journal: journal).csv().split(separator: "\n")
        #expect(csv[0].hasSuffix(",recommended,stopped_at_epoch") && csv.dropFirst().contains { $0.hasSuffix(",1,") })
        let json = try StudyReport(journal: journal).json()
        #expect(json.contains("\"after_observations\" : \(last.afterObservations)"), "\(json.prefix(400))")
    }
}

/// How the recommendation is shown beside the best seen.
@Suite struct BestAndRecommendedTests {
    static let a = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    static let b = "|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"

    static func journal(_ extra: [JournalRecord]) throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        try journal.append([
            .proposed(call: 0, jobs: [.init(job: 1, architecture: a, encoding: [[1]]), .init(job: 2, architecture: b, encoding: [[1]]),
                                      .init(job: 3, architecture: b, encoding: [[1]])]),
            .result(job: 1, attempt: 1, worker: "w", metrics: .init(validationError: 7.25, trainSeconds: 1), time: 1),
            .result(job: 2, attempt: 1, worker: "w", metrics: .init(validationError: 7.5, trainSeconds: 1), time: 2),
            .result(job: 3, attempt: 1, worker: "w", metrics: .init(validationError: 7.75, trainSeconds: 1), time: 3),
        ] + extra)
        return journal
    }

    @Test func statusShowsTheRecommendedCellBesideTheBestSeen() throws {
        let other = try Self.journal([.recommended(architecture: Self.b, estimate: 7.4, observations: 2, afterObservations: 3,
                                                   afterCalls: 1, time: 4)])
        #expect(StatusView(try StudyReport(journal: other)).lines == [
            "study s: 3 done, 0 running, 0 queued, 0 failed",
            "best seen 7.250 % (job 1) · recommended 7.400 % est. (2 runs, jobs 2, 3)",
            "best cell: \(Self.a)",
            "recommended cell: \(Self.b)",
        ])
        let same = try Self.journal([.recommended(architecture: Self.a, estimate: 7.3, observations: 1, afterObservations: 3,
                                                  afterCalls: 1, time: 4)])
        #expect(StatusView(try StudyReport(journal: same)).lines[1...] == [
            "best seen 7.250 % (job 1) · recommended 7.300 % est. (same cell, 1 run)",
            "best cell: \(Self.a)",
        ])
        let none = try Self.journal([])
        #expect(StatusView(try StudyReport(journal: none)).lines[1...] == ["best seen 7.250 % (job 1)", "best cell: \(Self.a)"])
        let report = try StudyReport(journal: other)
        #expect(report.rows.map(\.recommended) == [false, true, true])
    }

    @Test func theReportSummarySaysBoth() throws {
        let page = try ReportPage(journals: [try Self.journal([
            .recommended(architecture: Self.b, estimate: 7.4, observations: 2, afterObservations: 3, afterCalls: 1, time: 4),
        ])])
        let summary = page.summaryHTML(generated: Date(timeIntervalSince1970: 0))
        #expect(summary.contains("best seen <b>7.250 %</b> (job 1)"), "\(summary)")
        #expect(summary.contains("recommended <b>7.400 %</b> est. (2 runs, jobs 2, 3)"), "\(summary)")
        #expect(summary.contains("recommended cell <code>\(Self.b)</code>"), "\(summary)")
    }
}

/// A study's evaluator decides whether the default `anasod-bo-2s` retrains: never on a look-up.
@Suite struct StudyRetrainTests {
    @Test func onlyNoisyEvaluatorsGetTheDefaultRetrains() throws {
        let space = NB201SearchSpace()
        func runs(_ kind: EvaluationSettings.Kind, _ strategy: String = "anasod-bo-2s") throws -> Int {
            var c = StudyConfiguration(study: "r")
            c.evaluator.kind = kind
            c.strategy = try StrategyChoice(parsing: strategy)
            return (try c.makeStrategy(space: space) as! ANASODBO).configuration.retrainRuns
        }
        #expect(try runs(.table) == 1 && runs(.synthetic) == 1)
        #expect(try runs(.trainer) == 2 && runs(.external) == 2)
        #expect(try runs(.table, "anasod-bo-2s[retrain=3]") == 3)
    }
}
