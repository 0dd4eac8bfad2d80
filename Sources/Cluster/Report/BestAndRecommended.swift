import Foundation
import Journal

/// The best result seen beside the cell the strategy recommends (issue 26: a noisy study's best draw is its
/// luckiest run, not necessarily its best cell), as `anasod status`, the end of a run, the progress line, the
/// dashboard and the report show them:
///
///     best seen 8.910 % (job 12) · recommended 9.120 % est. (2 runs, jobs 7, 31)
///     best cell: |…|
///     recommended cell: |…|
///
/// The recommended cell's line is left out when it is the best seen cell (`same cell` says so); jobs are named
/// where they are known (from a journal, not from a live status).
public struct BestAndRecommended: Sendable, Equatable {
    /// The accepted result with the lowest validation error.
    public struct Best: Sendable, Equatable {
        public var value: Double
        public var architecture: String
        public var job: UInt64?

        public init(value: Double, architecture: String, job: UInt64? = nil) {
            self.value = value
            self.architecture = architecture
            self.job = job
        }
    }

    /// The strategy's recommendation: its estimate of the cell's validation error, and the results of the cell
    /// it had seen (the cell's jobs, when known).
    public struct Recommended: Sendable, Equatable {
        public var estimate: Double
        public var architecture: String
        public var runs: Int
        public var jobs: [UInt64]

        public init(estimate: Double, architecture: String, runs: Int, jobs: [UInt64] = []) {
            self.estimate = estimate
            self.architecture = architecture
            self.runs = runs
            self.jobs = jobs
        }
    }

    public var best: Best?
    public var recommended: Recommended?

    public init(best: Best?, recommended: Recommended?) {
        self.best = best
        self.recommended = recommended
    }

    /// From a live status (no job ids).
    public init(_ status: CoordinatorStatus) {
        best = status.best.map { Best(value: $0.value, architecture: $0.architecture) }
        recommended = status.recommended.map { Recommended(estimate: $0.estimate, architecture: $0.architecture, runs: $0.runs) }
    }

    /// From a journal: its best result and the strategy's latest recommendation, with the jobs of its cell.
    /// A result that breaks the study's `limits` (measured in evaluation) is never the best.
    public init(_ replay: JournalReplay, limits: OutcomeLimits = .none) {
        best = replay.best(where: limits.allows).flatMap { t in t.result.map { Best(value: $0.metrics.validationError, architecture: t.architecture, job: t.job) } }
        recommended = replay.recommendation.map { r in
            Recommended(estimate: r.estimate, architecture: r.architecture, runs: r.observations,
                        jobs: replay.trials(of: r.architecture).filter { $0.state == .done }.map(\.job))
        }
    }

    /// Whether the recommended cell is the best seen cell.
    public var sameCell: Bool { best != nil && best?.architecture == recommended?.architecture }

    /// "best seen 8.910 % (job 12)".
    public var bestText: String? {
        best.map { String(format: "best seen %.3f %%", $0.value) + ($0.job.map { " (job \($0))" } ?? "") }
    }

    /// "recommended 9.120 % est. (job 7, 1 run)", "(2 runs, jobs 7, 31)", or "(same cell, 1 run)".
    public var recommendedText: String? {
        recommended.map { r in String(format: "recommended %.3f %% est. (", r.estimate) + recommendedDetail(r) + ")" }
    }

    private func recommendedDetail(_ r: Recommended) -> String {
        let runs = "\(r.runs) run\(r.runs == 1 ? "" : "s")"
        if sameCell { return "same cell, " + runs }
        switch r.jobs.count {
        case 0: return runs
        case 1: return "job \(r.jobs[0]), " + runs
        default: return runs + ", jobs " + r.jobs.map(String.init).joined(separator: ", ")
        }
    }

    /// The lines of a status: the two values side by side, then the best cell, then the recommended one unless
    /// it is the same. None before the first result.
    public var lines: [String] {
        let values = [bestText, recommendedText].compactMap { $0 }
        guard !values.isEmpty else { return [] }
        var out = [values.joined(separator: " · ")]
        if let best { out.append("best cell: \(best.architecture)") }
        if let recommended, !sameCell { out.append("recommended cell: \(recommended.architecture)") }
        return out
    }

    /// The same for a page: the values in bold (`id="best"`, `id="recommended"`, the recommended cell in its
    /// tooltip), text escaped.
    public func html(withCells: Bool = false) -> String {
        let esc = SVGChart.escape
        var parts = [String]()
        if let best {
            parts.append("<span id=\"best\" title=\"\(esc(best.architecture))\">best seen <b>\(String(format: "%.3f", best.value)) %</b>"
                         + (best.job.map { " (job \($0))" } ?? "") + "</span>")
        }
        if let r = recommended {
            parts.append("<span id=\"recommended\" title=\"\(esc(r.architecture))\">recommended <b>\(String(format: "%.3f", r.estimate)) %</b> "
                         + "est. (\(esc(recommendedDetail(r))))</span>")
        }
        var s = parts.joined(separator: " · ")
        if withCells, let r = recommended, !sameCell {
            s += "<br>recommended cell <code>\(esc(r.architecture))</code>"
        }
        return s
    }
}
