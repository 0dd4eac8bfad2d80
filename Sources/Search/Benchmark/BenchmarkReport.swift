import Foundation

/// Summaries of benchmark runs: mean ± standard error of the best value at checkpoints, proposal times,
/// and the best-so-far curves as CSV.
public struct BenchmarkReport: Sendable {
    public let runs: [SearchBenchmark.Run]
    public let checkpoints: [Int]

    public init(runs: [SearchBenchmark.Run], checkpoints: [Int] = [50, 100, 150, 300]) {
        self.runs = runs
        self.checkpoints = checkpoints
    }

    /// Strategy names in first-seen order.
    public var strategies: [String] {
        var seen = Set<String>()
        return runs.map(\.strategy).filter { seen.insert($0).inserted }
    }

    /// Mean and standard error of the best value after `evaluations`, over the runs that got that far.
    public func bestAfter(_ evaluations: Int, strategy: String) -> (mean: Double, standardError: Double, runs: Int)? {
        let values = runs.filter { $0.strategy == strategy && $0.curve.count >= evaluations }.map { $0.curve[evaluations - 1] }
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0, 1) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, (variance / Double(values.count)).squareRoot(), values.count)
    }

    /// Mean seconds per propose call, over all calls or those that saw `observations` − 10 … `observations`.
    public func proposeSeconds(strategy: String, near observations: Int? = nil) -> Double? {
        let calls = runs.filter { $0.strategy == strategy }.flatMap(\.proposeCalls).filter { call in
            observations.map { call.observations <= $0 && call.observations >= $0 - 10 } ?? true
        }
        guard !calls.isEmpty else { return nil }
        return calls.reduce(0) { $0 + $1.seconds } / Double(calls.count)
    }

    /// How many distinct evaluations each run of `strategy` needed to find `optimum` (nil: not within its
    /// budget).
    public func evaluationsToOptimum(_ optimum: Double, strategy: String) -> [Int?] {
        runs.filter { $0.strategy == strategy }.map { run in
            run.curve.firstIndex { $0 <= optimum + 1e-9 }.map { $0 + 1 }
        }
    }

    /// Mean simulated time at which runs of `strategy` first reached `target` (and how many did), for
    /// simulated-clock runs.
    public func timeToReach(_ target: Double, strategy: String) -> (mean: Double, reached: Int, runs: Int)? {
        let timed = runs.filter { $0.strategy == strategy && $0.times != nil }
        guard !timed.isEmpty else { return nil }
        let times = timed.compactMap { run in run.curve.firstIndex { $0 <= target + 1e-9 }.map { run.times![$0] } }
        guard !times.isEmpty else { return (.infinity, 0, timed.count) }
        return (times.reduce(0, +) / Double(times.count), times.count, timed.count)
    }

    /// The mean simulated time of the last evaluation and the idle share, for simulated-clock runs.
    public func simulatedTime(strategy: String) -> (seconds: Double, idle: Double)? {
        let timed = runs.filter { $0.strategy == strategy && $0.times?.isEmpty == false }
        guard !timed.isEmpty else { return nil }
        let n = Double(timed.count)
        return (timed.reduce(0) { $0 + $1.times!.last! } / n, timed.reduce(0) { $0 + ($1.idleShare ?? 0) } / n)
    }

    /// The Markdown table: one row per strategy.
    public func markdown(optimum: Double?, timingAt: [Int] = [150, 1000]) -> String {
        let budget = runs.map(\.curve.count).max() ?? 0
        let shown = checkpoints.filter { $0 <= budget }
        let timed = timingAt.filter { $0 <= budget }
        let simulated = runs.contains { $0.times != nil }
        var header = ["strategy", "runs"] + shown.map { "best after \($0)" }
        if optimum != nil { header += ["optimum found ≤100", "≤150", "evaluations to the optimum"] }
        if simulated { header += ["simulated time", "idle"] }
        header += ["ms / proposal"] + timed.map { "ms / proposal at \($0) obs" }
        var rows = [[String]]()
        for name in strategies {
            var row = [name, String(runs.filter { $0.strategy == name }.count)]
            for c in shown {
                row.append(bestAfter(c, strategy: name).map { String(format: "%.3f ± %.3f", $0.mean, $0.standardError) } ?? "—")
            }
            if let optimum {
                let found = evaluationsToOptimum(optimum, strategy: name)
                let hits = found.compactMap { $0 }
                let n = Double(max(1, found.count))
                row.append(String(format: "%.0f %%", 100 * Double(hits.filter { $0 <= 100 }.count) / n))
                row.append(String(format: "%.0f %%", 100 * Double(hits.filter { $0 <= 150 }.count) / n))
                row.append(hits.isEmpty ? "— (0/\(found.count))"
                           : String(format: "%.1f (%d/%d)", Double(hits.reduce(0, +)) / Double(hits.count), hits.count, found.count))
            }
            if simulated {
                let t = simulatedTime(strategy: name)
                row.append(t.map { String(format: "%.1f", $0.seconds) } ?? "—")
                row.append(t.map { String(format: "%.1f %%", 100 * $0.idle) } ?? "—")
            }
            row.append(proposeSeconds(strategy: name).map { String(format: "%.2f", $0 * 1000) } ?? "—")
            for c in timed {
                row.append(proposeSeconds(strategy: name, near: c).map { String(format: "%.2f", $0 * 1000) } ?? "—")
            }
            rows.append(row)
        }
        var out = "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
        if let optimum {
            out += "\nTable optimum: \(String(format: "%.3f", optimum)). Values: best error (%) so far, mean ± standard error over runs; "
                + "evaluations to the optimum: mean over the runs that found it within their budget.\n"
        }
        return out
    }

    /// `strategy,seed,evaluations,best_error`, one row per strategy, seed and evaluation count.
    public func csv() -> String {
        var out = "strategy,seed,evaluations,best_error\n"
        for run in runs {
            for (i, value) in run.curve.enumerated() {
                out += "\(run.strategy),\(run.seed),\(i + 1),\(String(format: "%.4f", value))\n"
            }
        }
        return out
    }
}
