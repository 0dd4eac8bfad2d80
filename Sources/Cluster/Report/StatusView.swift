import Foundation
import Journal

/// What `anasod status` prints for a study read from its journal: the counts per state, the best result beside
/// the strategy's recommended cell (`BestAndRecommended`), why a worker gets no jobs (its last word only) and
/// the study-wide notes; and whether anything can still change.
public struct StatusView: Sendable, Equatable {
    public var lines: [String]
    /// Nothing is running or queued: the study finished, or its coordinator is gone.
    public var finished: Bool

    public init(lines: [String], finished: Bool) {
        self.lines = lines
        self.finished = finished
    }

    public init(_ report: StudyReport) {
        let counts = report.counts
        var lines = [
            "study \(report.study.id): \(counts[.done] ?? 0) done, \(counts[.running] ?? 0) running, "
                + "\(counts[.queued] ?? 0) queued, \(counts[.failed] ?? 0) failed"
        ]
        let stopped = report.stoppedByEpoch
        if !stopped.isEmpty {
            lines.append("stopped early: \(stopped.reduce(0) { $0 + $1.count }) of the done ("
                         + stopped.map { "\($0.count) after epoch \($0.epoch)" }.joined(separator: ", ") + ")")
        }
        if !report.limits.isEmpty {
            let broken = report.violating.count, trained = report.done.filter { $0.metrics?.stoppedAtEpoch == nil }.count
            lines.append("limits measured in evaluation (\(report.limits.constraints.map(\.description).joined(separator: ", "))): "
                         + "\(broken) of \(trained) result(s) break them (kept for the model, never the best)"
                         + (report.violating.last.map { "; latest: job \($0.job), \($0.violation!)" } ?? ""))
        }
        lines += report.bestAndRecommended.lines
        if let pareto = report.pareto { lines.append(pareto.statusLine) }
        // Why a worker gets no jobs (its last word only), and the study-wide notes ("*"), in order of first word.
        var last = [String: String]()
        var order = [String]()
        for note in report.notes where last.updateValue(note.message, forKey: note.worker) == nil {
            order.append(note.worker)
        }
        for worker in order {
            lines.append(worker == "*" ? "note: \(last[worker]!)" : "worker \(worker): \(last[worker]!)")
        }
        self.init(lines: lines, finished: (counts[.running] ?? 0) == 0 && (counts[.queued] ?? 0) == 0)
    }
}
