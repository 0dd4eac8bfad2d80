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

    /// The Markdown table: one row per strategy.
    public func markdown(optimum: Double?, timingAt: [Int] = [150, 1000]) -> String {
        let budget = runs.map(\.curve.count).max() ?? 0
        let shown = checkpoints.filter { $0 <= budget }
        let timed = timingAt.filter { $0 <= budget }
        var header = ["strategy", "runs"] + shown.map { "best after \($0)" } + ["ms / proposal"]
        header += timed.map { "ms / proposal at \($0) obs" }
        var rows = [[String]]()
        for name in strategies {
            var row = [name, String(runs.filter { $0.strategy == name }.count)]
            for c in shown {
                row.append(bestAfter(c, strategy: name).map { String(format: "%.3f ± %.3f", $0.mean, $0.standardError) } ?? "—")
            }
            row.append(proposeSeconds(strategy: name).map { String(format: "%.2f", $0 * 1000) } ?? "—")
            for c in timed {
                row.append(proposeSeconds(strategy: name, near: c).map { String(format: "%.2f", $0 * 1000) } ?? "—")
            }
            rows.append(row)
        }
        var out = "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
        if let optimum { out += "\nTable optimum: \(String(format: "%.3f", optimum)). Values: best error (%) so far, mean ± standard error over runs.\n" }
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
