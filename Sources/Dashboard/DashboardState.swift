import Cluster
import Foundation

/// What `/api/state` answers: a running study's live counters, its workers and its jobs in flight. The
/// dashboard's page and `anasod status` read it; JSON with these keys is the API (README: "Dashboard").
public struct DashboardState: Codable, Sendable, Equatable {
    public var study: String
    public var budget: Int
    public var results: Int
    public var failed: Int
    public var running: Int
    public var queued: Int
    public var finished: Bool
    public var elapsedSeconds: Double
    public var bestError: Double?
    public var bestArchitecture: String?
    /// Messages refused from peers (all kinds together).
    public var refusedMessages: Int
    public var abortReason: String?
    public var workers: [WorkerSnapshot]
    public var jobs: [LeaseSnapshot]
    /// Messages refused, by the key that sent them (nil from an older coordinator).
    public var refusedByKey: [String: Int]?
    /// Keys that get no jobs for now, and why.
    public var quarantinedKeys: [String: String]?
    /// The cell the strategy recommends: its estimated validation error (%), its architecture and the results
    /// of it the strategy has seen (nil before the first recommendation, and from an older coordinator).
    public var recommendedEstimate: Double?
    public var recommendedArchitecture: String?
    public var recommendedRuns: Int?
    /// Results early stopping stopped, among `results` (nil from an older coordinator).
    public var stopped: Int?

    public init(_ s: CoordinatorStatus) {
        study = s.study
        budget = s.budget
        results = s.successes
        failed = s.failed
        stopped = s.stopped
        running = s.running
        queued = s.queued
        finished = s.finished
        elapsedSeconds = s.elapsed
        bestError = s.best?.value
        bestArchitecture = s.best?.architecture
        refusedMessages = s.refusals.total
        abortReason = s.abortReason
        workers = s.workerList
        jobs = s.leases
        refusedByKey = s.keyRefusals.isEmpty ? nil : s.keyRefusals
        quarantinedKeys = s.quarantined.isEmpty ? nil : s.quarantined
        recommendedEstimate = s.recommended?.estimate
        recommendedArchitecture = s.recommended?.architecture
        recommendedRuns = s.recommended?.runs
    }

    /// The best seen beside the recommended cell.
    public var bestAndRecommended: BestAndRecommended {
        BestAndRecommended(
            best: bestError.flatMap { value in bestArchitecture.map { .init(value: value, architecture: $0) } },
            recommended: recommendedEstimate.flatMap { estimate in
                recommendedArchitecture.map { .init(estimate: estimate, architecture: $0, runs: recommendedRuns ?? 1) }
            })
    }

    /// "key 12, other 3", most refused first (at most `limit` keys).
    public var refusedByKeySummary: String? {
        guard let refusedByKey, !refusedByKey.isEmpty else { return nil }
        let sorted = refusedByKey.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return sorted.prefix(8).map { "\($0.key) \($0.value)" }.joined(separator: ", ") + (sorted.count > 8 ? ", …" : "")
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)  // plain values: encoding cannot fail
    }

    /// The lines `anasod status` prints for a live study.
    public var lines: [String] {
        var out = ["study \(study): \(results)/\(budget) done" + ((stopped ?? 0) > 0 ? " (\(stopped!) stopped early)" : "")
                   + ", \(running) running, \(queued) queued, \(failed) failed · "
                   + "\(ProgressLine.duration(elapsedSeconds)) · \(finished ? "finished" : "running")"]
        out += bestAndRecommended.lines
        if let abortReason { out.append("stopped: \(abortReason)") }
        if refusedMessages > 0 {
            out.append("refused messages: \(refusedMessages)" + (refusedByKeySummary.map { " (by key: \($0))" } ?? ""))
        }
        for (key, reason) in (quarantinedKeys ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append("quarantined key \(key): \(reason)")
        }
        for w in workers {
            out.append("worker \(w.id) (\(w.host)): \(w.jobs)/\(w.slots) jobs, heard \(String(format: "%.1f", w.silentSeconds)) s ago, "
                       + "\(w.evaluators.joined(separator: " ")), \(w.state)")
        }
        for j in jobs {
            out.append("job \(j.job) attempt \(j.attempt) on \(j.worker): epoch \(j.epoch.map(String.init) ?? "—"), \(j.architecture)")
        }
        return out
    }
}
