import ANASOD
import Foundation
import Journal

/// What a journal says about a study, for `anasod status` and `anasod export`: readable while the
/// coordinator runs (SQLite WAL lets readers in beside the writer).
public struct StudyReport: Sendable {
    public struct Row: Sendable {
        public var job: UInt64
        public var architecture: String
        public var encoding: [[Double]]
        public var attempts: Int
        public var worker: String?
        /// What the accepted result measured (nil until the job is done).
        public var metrics: Metrics?
        public var status: JournalReplay.TrialState
        public var failure: String?
        /// A result of the cell the strategy recommends now (a cell trained again has several).
        public var recommended = false
        /// The limits measured in evaluation this result breaks ("latency_ms 7.31 breaks <= 5"), nil when it
        /// keeps to them (and for results early stopping stopped, which are never the best anyway).
        public var violation: String?
    }

    public var study: StudyRecord
    public var rows: [Row]
    /// What the coordinator decided about workers (no more jobs for one, and why), oldest first.
    public var notes = [JournalReplay.Note]()
    /// The strategy's latest recommendation (nil before the first, and in journals written before them).
    public var recommendation: JournalReplay.Recommendation?
    /// The best seen beside the recommended cell, as `anasod status` shows them.
    public var bestAndRecommended: BestAndRecommended
    /// A study of several objectives: its Pareto front (nil for one objective).
    public var pareto: StudyPareto?
    /// The study's limits on measures known only after evaluation.
    public var limits: OutcomeLimits

    public init(journal: any Journal) throws {
        guard let study = try journal.study() else {
            throw ClusterError(.resume, "the journal holds no study yet")
        }
        self.init(study: study, replay: JournalReplay(try journal.records()))
    }

    public init(study: StudyRecord, replay: JournalReplay) {
        self.study = study
        let recommendation = replay.recommendation
        let limits = OutcomeLimits(study: study)
        self.limits = limits
        rows = replay.trials.map { t in
            Row(job: t.job, architecture: t.architecture, encoding: t.encoding, attempts: t.attemptCount, worker: t.worker,
                metrics: t.result?.metrics, status: t.state, failure: t.lastFailure?.reason,
                recommended: t.state == .done && t.architecture == recommendation?.architecture,
                violation: t.result.flatMap { $0.metrics.stoppedAtEpoch == nil ? limits.mark(of: $0.metrics) : nil })
        }
        notes = replay.notes
        self.recommendation = recommendation
        bestAndRecommended = BestAndRecommended(replay, limits: limits)
        pareto = StudyPareto(study: study, replay: replay)
    }

    public var done: [Row] { rows.filter { $0.status == .done } }
    /// The best result of a cell trained to the end (early stopping's stopped cells reported an early epoch's error)
    /// within the study's limits measured in evaluation.
    public var best: Row? {
        done.filter { $0.metrics?.stoppedAtEpoch == nil && $0.violation == nil }
            .min { $0.metrics!.validationError < $1.metrics!.validationError }
    }

    /// Results that break a limit measured in evaluation.
    public var violating: [Row] { done.filter { $0.violation != nil } }

    /// Results early stopping stopped, by the epoch they stopped at (ascending).
    public var stoppedByEpoch: [(epoch: Int, count: Int)] {
        Dictionary(grouping: done.compactMap { $0.metrics?.stoppedAtEpoch }, by: { $0 }).map { ($0.key, $0.value.count) }
            .sorted { $0.epoch < $1.epoch }
    }

    /// Counts per status (every status present, zero when none).
    public var counts: [JournalReplay.TrialState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JournalReplay.TrialState.allCases.map { ($0, 0) })
        for row in rows { counts[row.status, default: 0] += 1 }
        return counts
    }

    /// RFC 4180 CSV: a field holding a comma, a quote or a line break is quoted, quotes doubled. Worker ids
    /// come from the network: one that starts like a spreadsheet formula (`=`, `+`, `-`, `@`) gets a
    /// leading `'` so that opening the file cannot run it. `recommended` is 1 on the results of the cell the
    /// strategy recommends; `stopped_at_epoch` is set on results early stopping stopped (their `val_error` is that
    /// epoch's). A study whose trainers measured latency or memory, or that limits them, adds `latency_ms`, `memory_mb`
    /// and `violates` (the limits a result breaks). A study of several objectives adds `pareto_front`, 1 on the results on its front.
    public func csv() -> String {
        let measured = !limits.isEmpty || rows.contains { $0.metrics.map { !$0.measured.isEmpty } ?? false }
        var out = "job,status,attempts,worker,val_error,test_error,train_seconds,params,flops,arch,encoding,recommended,stopped_at_epoch"
            + (measured ? ",latency_ms,memory_mb,violates" : "") + (pareto == nil ? "\n" : ",pareto_front\n")
        let front = pareto?.frontJobs ?? []
        func f(_ x: Double?) -> String { x.map { String($0) } ?? "" }
        for r in rows {
            let encoding = r.encoding.map { $0.map { String($0) }.joined(separator: " ") }.joined(separator: " | ")
            var worker = r.worker ?? ""
            if let first = worker.first, "=+-@\t\r".contains(first) { worker = "'" + worker }
            var fields: [String] = [String(r.job), r.status.rawValue, String(r.attempts), worker, f(r.metrics?.validationError),
                          f(r.metrics?.testError), f(r.metrics?.trainSeconds), r.metrics?.parameters.map(String.init) ?? "",
                          r.metrics?.flops.map(String.init) ?? "",
                          r.architecture, encoding, r.recommended ? "1" : "0", r.metrics?.stoppedAtEpoch.map(String.init) ?? ""]
            if measured { fields += [f(r.metrics?.latencyMs), f(r.metrics?.memoryMB), r.violation ?? ""] }
            if pareto != nil { fields.append(front.contains(r.job) && r.status == .done ? "1" : "0") }
            out += fields.map(Self.csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public func json() throws -> String {
        let objects: [[String: Any]] = rows.map { r in
            var o: [String: Any] = ["job": r.job, "status": r.status.rawValue, "attempts": r.attempts, "arch": r.architecture,
                                    "encoding": r.encoding]
            if let v = r.worker { o["worker"] = v }
            if let m = r.metrics {
                o["val_error"] = m.validationError
                o["train_seconds"] = m.trainSeconds
                if let v = m.testError { o["test_error"] = v }
                if let v = m.parameters { o["params"] = v }
                if let v = m.flops { o["flops"] = v }
                if let v = m.stoppedAtEpoch { o["stopped_at_epoch"] = v }
                if let v = m.latencyMs { o["latency_ms"] = v }
                if let v = m.memoryMB { o["memory_mb"] = v }
            }
            if let v = r.violation { o["violates"] = v }
            if let v = r.failure { o["failure"] = v }
            o["recommended"] = r.recommended
            if let pareto { o["pareto_front"] = r.status == .done && pareto.frontJobs.contains(r.job) }
            return o
        }
        var top: [String: Any] = ["study": study.id, "results": objects]
        if let pareto {
            top["pareto_front"] = ["objectives": pareto.names, "jobs": pareto.front.map { pareto.points[$0].job },
                                   "hypervolume": pareto.hypervolume.last ?? 0]
        }
        if let r = recommendation {
            // The strategy's latest recommendation, and where in its history it was made.
            top["recommended"] = ["arch": r.architecture, "estimate": r.estimate, "runs": r.observations,
                                  "jobs": rows.filter(\.recommended).map(\.job), "after_observations": r.afterObservations]
        }
        let data = try JSONSerialization.data(withJSONObject: top, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
