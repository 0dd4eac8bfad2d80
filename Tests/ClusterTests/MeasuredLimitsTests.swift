import ANASOD
@testable import Cluster
import Foundation
import Journal
import Search
import TestSupport
import Testing
import Wire

/// Limits on what the trainer measures after training (issue 30: `objective.constraints: {latency_ms: …}`): a
/// result that breaks one, or does not carry the measure, is kept (the strategy learns from it), journaled with
/// its measures, marked in `status` and `export`, and never the best, live and on resume alike.
@Suite struct MeasuredLimitsTests {
    let space = NB201SearchSpace()
    let peer = PeerID(Array("w1".utf8))

    func configuration() throws -> StudyConfiguration {
        try StudyConfiguration(yaml: """
            study: limits
            budget: 10
            evaluator: {kind: external, command: "true", epochs: 1}
            objective:
              constraints:
                latency_ms: "<= 5"
                memory_mb: "< 1000"
            jobs: {max_attempts: 2, timeout: 10}
            cluster: {worker_timeout: 3, heartbeat: 1}
            """, source: "limits.yaml")
    }

    @Test func theLimitsMarkWhatAResultBreaksAndAMissingMeasure() throws {
        let limits = OutcomeLimits(try configuration())
        #expect(limits.constraints.map(\.description) == ["latency_ms <= 5", "memory_mb < 1000"])
        #expect(limits.allows(Metrics(validationError: 9, latencyMs: 5, memoryMB: 999)))
        #expect(limits.mark(of: Metrics(validationError: 9, latencyMs: 5, memoryMB: 999)) == nil)
        #expect(limits.mark(of: Metrics(validationError: 9, latencyMs: 7.3125, memoryMB: 1000))
                == "latency_ms 7.312 breaks <= 5; memory_mb 1000 breaks < 1000")
        #expect(limits.mark(of: Metrics(validationError: 9, latencyMs: 1)) == "memory_mb not reported")
        #expect(limits.missing(in: Metrics(validationError: 9)) == ["latency_ms", "memory_mb"])
        // Limits known before training are not the trainer's to measure.
        #expect(OutcomeLimits(constraints: [Constraint(measure: "params", relation: .atMost, bound: 1)]).isEmpty)
    }

    @Test func aBrokenLimitIsKeptMarkedAndNeverTheBestLiveAndOnResume() throws {
        let c = try configuration()
        var live = CoordinatorState(configuration: c, space: space)
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
        _ = run(live.handle(.hello(Hello(workerID: "w1", host: "h", slots: 4, evaluators: [Capability(kind: .external, profiles: [c.evaluator.trainerProfile])],
                                         software: "t")), from: peer, now: 0))
        _ = run(live.handle(.request(JobRequest(slots: 4)), from: peer, now: 0))
        let batch = (0..<4).map { i -> (job: UInt64, proposal: Proposal) in
            let arch = space.architecture(at: 97 * (i + 1))
            return (UInt64(i + 1), Proposal(architecture: arch, encoding: space.encode(arch)))
        }
        records.append(.proposed(call: 0, jobs: batch.map {
            .init(job: $0.job, architecture: space.format($0.proposal.architecture), encoding: $0.proposal.encoding.parts.map(\.probabilities))
        }, observed: 0))
        let jobs = run(live.proposalsArrived(batch, now: 0))
        #expect(jobs.count == 4)
        // The lowest error breaks the latency limit; the next carries no memory; the third keeps to both.
        let results: [Metrics] = [
            Metrics(validationError: 6, trainSeconds: 1, latencyMs: 9.5, memoryMB: 10),
            Metrics(validationError: 7, trainSeconds: 1, latencyMs: 1),
            Metrics(validationError: 11, trainSeconds: 1, latencyMs: 4, memoryMB: 512.5),
            Metrics(validationError: 12, trainSeconds: 1, latencyMs: 3, memoryMB: 100),
        ]
        for (job, metrics) in zip(jobs, results) {
            _ = run(live.handle(.result(JobResult(key: job.key, metrics: metrics)), from: peer, now: 1))
        }
        #expect(live.best?.value == 11 && live.best?.job == jobs[2].key.jobID)
        #expect(observations.map(\.measured) == [["latency_ms": 9.5, "memory_mb": 10], ["latency_ms": 1],
                                                  ["latency_ms": 4, "memory_mb": 512.5], ["latency_ms": 3, "memory_mb": 100]])
        // A negative or non-finite measure makes an invalid result (the coordinator releases such a lease).
        #expect(Metrics(validationError: 1, latencyMs: -1).problem != nil && Metrics(validationError: 1, memoryMB: .nan).problem != nil)

        // The SQLite journal keeps the measures; a resume finds the same best and hands the strategy the same
        // observations; status and export mark the broken ones.
        let path = NSTemporaryDirectory() + "limits-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try SQLiteJournal(path: path)
        try journal.begin(StudyRecord(id: c.study, configuration: c.journalText, created: 0))
        try journal.append(records)
        var resumed = CoordinatorState(configuration: c, space: space)
        let events = try resumed.restore(from: try journal.records(), now: 10)
        #expect(events.compactMap { if case .observed(let o) = $0 { o } else { nil } } == observations)
        #expect(resumed.best?.value == 11 && resumed.best?.job == jobs[2].key.jobID)

        let report = try StudyReport(journal: journal)
        #expect(report.best?.job == jobs[2].key.jobID)
        #expect(report.violating.map(\.job) == [jobs[0].key.jobID, jobs[1].key.jobID])
        let status = StatusView(report).lines
        #expect(status.contains("limits measured in evaluation (latency_ms <= 5, memory_mb < 1000): 2 of 4 result(s) break them "
                                + "(kept for the model, never the best); latest: job \(jobs[1].key.jobID), memory_mb not reported"))
        #expect(status.contains { $0.hasPrefix("best seen 11.000 % (job \(jobs[2].key.jobID))") })
        let csv = report.csv().split(separator: "\n").map(String.init)
        #expect(csv[0].hasSuffix(",stopped_at_epoch,latency_ms,memory_mb,violates"))
        #expect(csv[1].hasSuffix(",9.5,10.0,latency_ms 9.5 breaks <= 5"))
        #expect(csv[3].hasSuffix(",4.0,512.5,"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let rows = try #require(json["results"] as? [[String: Any]])
        #expect(rows[1]["violates"] as? String == "memory_mb not reported")
        #expect(rows[2]["violates"] == nil && rows[2]["latency_ms"] as? Double == 4)
        let history = try StudyHistory(journal: journal)
        #expect(history.bestSoFar == [.infinity, .infinity, 11, 11])
        #expect(history.ranked.map(\.job) == [jobs[2].key.jobID, jobs[3].key.jobID])
        try journal.close()
    }

    /// `objective.minimize: [val_error, latency_ms]`: the strategy runs under ParEGO on the results' own latency,
    /// and the study's front (status, export, report) is built from what each result measured.
    @Test func aFrontOfErrorAndMeasuredLatency() throws {
        let c = try StudyConfiguration(yaml: """
            study: front
            strategy: anasod-bo-2s
            evaluator: {kind: trainer, epochs: 1}
            objective: {minimize: [val_error, latency_ms]}
            """, source: "front.yaml")
        #expect(try c.makeStrategy(space: space) is ParEGO)
        let values: [(error: Double, latency: Double?)] = [(9, 4), (8, 6), (10, 3), (8.5, 7), (7, nil), (12, 2)]
        var records = [JournalRecord]()
        let cells = values.indices.map { space.architecture(at: 211 * ($0 + 1)) }
        records.append(.proposed(call: 0, jobs: cells.enumerated().map { i, a in
            .init(job: UInt64(i + 1), architecture: space.format(a), encoding: space.encode(a).parts.map(\.probabilities))
        }, observed: 0))
        for (i, v) in values.enumerated() {
            records.append(.dispatched(job: UInt64(i + 1), attempt: 1, worker: "w", time: 1))
            records.append(.result(job: UInt64(i + 1), attempt: 1, worker: "w",
                                   metrics: Metrics(validationError: v.error, trainSeconds: 1, latencyMs: v.latency), time: 2))
        }
        let pareto = try #require(StudyPareto(study: StudyRecord(id: c.study, configuration: c.journalText, created: 0),
                                              replay: JournalReplay(records)))
        #expect(pareto.names == ["val_error", "latency_ms"])
        #expect(pareto.points.count == 5)  // job 5 reported no latency
        #expect(pareto.front.map { pareto.points[$0].job } == [2, 1, 3, 6])  // (8, 6), (9, 4), (10, 3), (12, 2); (8.5, 7) dominated
    }
}
