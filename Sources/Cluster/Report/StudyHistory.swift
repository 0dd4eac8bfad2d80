import ANASOD
import Foundation
import Journal

/// A study's course in time, read from its journal: every result with when and where it ran, the attempts
/// of each worker, failures, and the per-epoch progress the workers streamed. What `anasod report` and the
/// dashboard draw; readable while the coordinator runs.
public struct StudyHistory: Sendable {
    public struct Result: Sendable {
        public var job: UInt64
        public var architecture: String
        public var encoding: [[Double]]
        public var worker: String
        public var metrics: Metrics
        /// Seconds since the study began.
        public var time: Double
    }

    /// One attempt on a worker: from its dispatch to its result or failure (open while it runs).
    public struct Attempt: Sendable {
        public var job: UInt64
        public var attempt: Int
        public var worker: String
        public var start: Double
        public var end: Double?
        /// `done`, `failed` or `running` (or `lost`: a later attempt replaced it without an end).
        public var outcome: String
    }

    public struct Epoch: Sendable {
        public var epoch: Int
        public var trainLoss: Double?
        public var validationError: Double?
        public var seconds: Double
    }

    public var study: String
    /// Wall-clock seconds (since 1970) when the study began.
    public var created: Double
    /// Accepted results, in the order they arrived.
    public var results: [Result]
    public var attempts: [Attempt]
    /// Per job, the epochs of its accepted (or latest) attempt.
    public var curves: [UInt64: [Epoch]]
    /// Jobs proposed so far.
    public var proposed: Int
    /// Jobs that failed for good.
    public var failed: Int
    /// Seconds since `created` of the last record.
    public var lastTime: Double

    public init(journal: any Journal) throws {
        guard let study = try journal.study() else { throw ClusterError(.resume, "the journal holds no study yet") }
        try self.init(study: study, records: try journal.records())
    }

    public init(study: StudyRecord, records: [JournalRecord]) throws {
        self.study = study.id
        created = study.created
        results = []
        attempts = []
        curves = [:]
        proposed = 0
        failed = 0
        lastTime = 0
        var jobs = [UInt64: JournalRecord.ProposedJob]()
        var open = [String: Int]()  // "job/attempt" → index in attempts
        var progress = [String: [Epoch]]()
        var done = Set<UInt64>()
        func key(_ job: UInt64, _ attempt: Int) -> String { "\(job)/\(attempt)" }
        func close(_ job: UInt64, _ attempt: Int, at time: Double, _ outcome: String) {
            guard let i = open.removeValue(forKey: key(job, attempt)) else { return }
            attempts[i].end = time
            attempts[i].outcome = outcome
        }
        for record in records {
            switch record {
            case .proposed(_, let proposedJobs, _):
                for j in proposedJobs { jobs[j.job] = j }
                proposed += proposedJobs.count
            case .dispatched(let job, let attempt, let worker, _, let time):
                let t = time - created
                attempts.append(Attempt(job: job, attempt: attempt, worker: worker, start: t, end: nil, outcome: "running"))
                open[key(job, attempt)] = attempts.count - 1
                lastTime = max(lastTime, t)
            case .progress(let job, let attempt, let epoch, let loss, let error, let seconds):
                progress[key(job, attempt), default: []].append(Epoch(epoch: epoch, trainLoss: loss, validationError: error, seconds: seconds))
            case .result(let job, let attempt, let worker, let metrics, let time):
                let t = time - created
                close(job, attempt, at: t, "done")
                lastTime = max(lastTime, t)
                guard !done.contains(job), let proposal = jobs[job] else { continue }
                done.insert(job)
                results.append(Result(job: job, architecture: proposal.architecture, encoding: proposal.encoding, worker: worker,
                                      metrics: metrics, time: t))
                if let epochs = progress[key(job, attempt)] { curves[job] = epochs }
            case .failure(let job, let attempt, _, _, _, let final, let time):
                let t = time - created
                close(job, attempt, at: t, "failed")
                lastTime = max(lastTime, t)
                if final && !done.contains(job) { failed += 1 }
            case .note:
                continue
            }
        }
        // Running jobs' curves so far (the latest attempt's).
        for attempt in attempts where attempt.outcome == "running" {
            if let epochs = progress[key(attempt.job, attempt.attempt)] { curves[attempt.job] = epochs }
        }
        // An attempt still open whose job has a later attempt was lost (a lease that timed out).
        var latest = [UInt64: Int]()
        for a in attempts { latest[a.job] = max(latest[a.job] ?? 0, a.attempt) }
        for i in attempts.indices where attempts[i].outcome == "running" && attempts[i].attempt < latest[attempts[i].job]! {
            attempts[i].outcome = "lost"
        }
    }

    /// The best validation error after each result, in arrival order.
    public var bestSoFar: [Double] {
        var best = Double.infinity
        return results.map { best = min(best, $0.metrics.validationError); return best }
    }

    /// Results ordered by validation error, best first.
    public var ranked: [Result] { results.sorted { ($0.metrics.validationError, $0.job) < ($1.metrics.validationError, $1.job) } }

    public var workers: [String] { Array(Set(attempts.map(\.worker))).sorted() }
}
