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
        /// Seconds since the study began.
        public var start: Double
        public var end: Double?
        public var outcome: JournalReplay.AttemptState
    }

    public var study: String
    /// Wall-clock seconds (since 1970) when the study began.
    public var created: Double
    /// Accepted results, in the order they arrived.
    public var results: [Result]
    /// Every attempt, in dispatch order.
    public var attempts: [Attempt]
    /// Per job, the epochs of its accepted attempt (or of the one running now).
    public var curves: [UInt64: [EpochProgress]]
    /// Jobs proposed so far.
    public var proposed: Int
    /// Jobs that failed for good.
    public var failed: Int
    /// Seconds since `created` of the last record.
    public var lastTime: Double
    /// The best seen beside the cell the strategy recommends (its latest recommendation).
    public var bestAndRecommended: BestAndRecommended
    /// The study's limits on measures known only after evaluation (latency, memory): a result that breaks them
    /// is shown, marked, and never the best.
    public var limits: OutcomeLimits

    public init(journal: any Journal) throws {
        guard let study = try journal.study() else { throw ClusterError(.resume, "the journal holds no study yet") }
        self.init(study: study, replay: JournalReplay(try journal.records()))
    }

    public init(study: StudyRecord, records: [JournalRecord]) {
        self.init(study: study, replay: JournalReplay(records))
    }

    public init(study: StudyRecord, replay: JournalReplay) {
        self.study = study.id
        let created = study.created
        self.created = created
        results = replay.accepted.compactMap { job in
            guard let trial = replay[job: job], let result = trial.result else { return nil }
            return Result(job: job, architecture: trial.architecture, encoding: trial.encoding, worker: result.worker,
                          metrics: result.metrics, time: result.time - created)
        }
        attempts = replay.dispatchOrder.compactMap { entry in
            guard let a = replay[job: entry.job]?.attempts[entry.position] else { return nil }
            return Attempt(job: entry.job, attempt: a.number, worker: a.worker, start: a.dispatched - created,
                           end: a.ended.map { $0 - created }, outcome: a.state)
        }
        curves = [:]
        for trial in replay.trials where !trial.curve.isEmpty { curves[trial.job] = trial.curve }
        proposed = replay.trials.count
        failed = replay.failedCount
        lastTime = max(0, replay.lastTime - created)
        let limits = OutcomeLimits(study: study)
        self.limits = limits
        bestAndRecommended = BestAndRecommended(replay, limits: limits)
    }

    /// The best validation error after each result, in arrival order.
    /// Results early stopping stopped count as evaluations but never as the best (infinity until a cell is trained
    /// to the end), nor do results that break a limit measured in evaluation.
    public var bestSoFar: [Double] {
        var best = Double.infinity
        return results.map { r in
            if r.metrics.stoppedAtEpoch == nil && limits.allows(r.metrics) { best = min(best, r.metrics.validationError) }
            return best
        }
    }

    /// Results of cells trained to the end within the study's limits measured in evaluation, ordered by validation
    /// error, best first.
    public var ranked: [Result] {
        results.filter { $0.metrics.stoppedAtEpoch == nil && limits.allows($0.metrics) }
            .sorted { ($0.metrics.validationError, $0.job) < ($1.metrics.validationError, $1.job) }
    }

    /// Results trained to the end that break a limit measured in evaluation, in arrival order.
    public var violating: [Result] {
        results.filter { $0.metrics.stoppedAtEpoch == nil && !limits.allows($0.metrics) }
    }

    /// Results of cells trained to the end (not stopped early), in arrival order.
    public var trained: [Result] { results.filter { $0.metrics.stoppedAtEpoch == nil } }

    /// The jobs early stopping stopped, with the epoch.
    public var stopped: [UInt64: Int] {
        Dictionary(uniqueKeysWithValues: results.compactMap { r in r.metrics.stoppedAtEpoch.map { (r.job, $0) } })
    }

    public var workers: [String] { Array(Set(attempts.map(\.worker))).sorted() }
}
