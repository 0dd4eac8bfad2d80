import Foundation

/// The tables of `anasod bench --runs` (issue 26): per strategy, the paper's metric (best validation error
/// seen) and the honest one (the true mean error of the recommended cell) after a number of evaluations, at
/// GPU-second checkpoints (Figure 3's axis) and, for W workers, at wall-clock checkpoints; and the share of
/// GPU seconds spent on cells worse than the median. Mean ± standard error over seeds; "—" where some run
/// had not got that far.
public struct NoisyRunsReport: Sendable {
    public let runs: [NoisyRunsBenchmark.Run]

    public init(runs: [NoisyRunsBenchmark.Run]) { self.runs = runs }

    static let evaluationCheckpoints = [50, 100, 150, 300]

    /// Whether the runs kept to constraints: "best seen" is then the best feasible, and a column counts the
    /// infeasible cells trained.
    var constrained: Bool { runs.contains(where: \.constrained) }
    static let gpuCheckpoints: [Double] = [1e5, 3e5, 1e6]

    var strategies: [String] {
        var seen = [String]()
        for run in runs where !seen.contains(run.strategy) { seen.append(run.strategy) }
        return seen
    }

    /// Mean and standard error; nil for no values.
    static func meanSE(_ values: [Double]) -> (mean: Double, se: Double)? {
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (mean, (variance / Double(values.count)).squareRoot())
    }

    /// The last point at or before `limit` by `key`, for every run of `strategy`; nil when a run has none
    /// there or ended before reaching `limit` (it would have gone on).
    func values(_ strategy: String, _ metric: (NoisyRunsBenchmark.Point) -> Double,
                at limit: Double, by key: (NoisyRunsBenchmark.Point) -> Double) -> [Double]? {
        var out = [Double]()
        for run in runs where run.strategy == strategy {
            guard let last = run.points.last, key(last) >= limit,
                  let point = run.points.last(where: { key($0) <= limit }) else { return nil }
            out.append(metric(point))
        }
        return out
    }

    func cell(_ values: [Double]?) -> String {
        guard let values, let s = Self.meanSE(values) else { return "—" }
        // Under constraints a run may not have seen a feasible cell yet.
        let none = values.filter { !$0.isFinite }.count
        if none > 0 { return "no feasible cell in \(none)/\(values.count) runs" }
        return String(format: "%.3f ± %.3f", s.mean, s.se)
    }

    public func markdown() -> String {
        var lines = [String]()
        let evaluations = Self.evaluationCheckpoints
        lines.append("Best validation error seen (the paper's metric) | true mean error of the recommended cell (the honest metric), "
                     + "after N evaluations:\n")
        lines.append("| strategy | " + evaluations.map { "best seen @\($0)" }.joined(separator: " | ") + " | "
                     + evaluations.map { "recommended @\($0)" }.joined(separator: " | ") + " | GPU-s on worse-than-median cells | retrains |"
                     + (constrained ? " infeasible trained |" : ""))
        lines.append("|---|" + String(repeating: "---|", count: 2 * evaluations.count + 2 + (constrained ? 1 : 0)))
        for name in strategies {
            let mine = runs.filter { $0.strategy == name }
            var row = "| \(name) | "
            row += evaluations.map { n in cell(mine.allSatisfy { $0.points.count >= n } ? mine.map { $0.points[n - 1].bestSeen } : nil) }
                .joined(separator: " | ") + " | "
            row += evaluations.map { n in cell(mine.allSatisfy { $0.points.count >= n } ? mine.map { $0.points[n - 1].recommendedTrueError } : nil) }
                .joined(separator: " | ")
            let waste = Self.meanSE(mine.map(\.wastedShare)).map { String(format: "%.0f %%", 100 * $0.mean) } ?? "—"
            let retrains = Double(mine.map(\.retrains).reduce(0, +)) / Double(max(mine.count, 1))
            let infeasible = Double(mine.map(\.infeasible).reduce(0, +)) / Double(max(mine.count, 1))
            lines.append(row + " | \(waste) | \(String(format: "%.1f", retrains)) |"
                         + (constrained ? " \(String(format: "%.1f", infeasible)) |" : ""))
        }
        if let objectives = runs.first?.objectives, !objectives.isEmpty {
            lines.append("\nHypervolume of the results (val_error, \(objectives.joined(separator: ", "))), normalised to the box between "
                         + "the ideal and the reference point, after N evaluations:\n")
            lines.append("| strategy | " + evaluations.map { "hypervolume @\($0)" }.joined(separator: " | ") + " |")
            lines.append("|---|" + String(repeating: "---|", count: evaluations.count))
            for name in strategies {
                let mine = runs.filter { $0.strategy == name }
                lines.append("| \(name) | " + evaluations.map { n in
                    cell(mine.allSatisfy { $0.points.count >= n } ? mine.map { $0.points[n - 1].hypervolume } : nil)
                }.joined(separator: " | ") + " |")
            }
        }
        let gpu = Self.gpuCheckpoints
        lines.append("\nThe same at simulated GPU-seconds (Figure 3's axis):\n")
        lines.append("| strategy | " + gpu.map { "best seen @\(Self.seconds($0))" }.joined(separator: " | ") + " | "
                     + gpu.map { "recommended @\(Self.seconds($0))" }.joined(separator: " | ") + " | GPU-s for \(evaluations[evaluations.count - 2]) evaluations |")
        lines.append("|---|" + String(repeating: "---|", count: 2 * gpu.count + 1))
        for name in strategies {
            var row = "| \(name) | "
            row += gpu.map { cell(values(name, \.bestSeen, at: $0, by: \.gpuSeconds)) }.joined(separator: " | ") + " | "
            row += gpu.map { cell(values(name, \.recommendedTrueError, at: $0, by: \.gpuSeconds)) }.joined(separator: " | ")
            let n = evaluations[evaluations.count - 2]
            let mine = runs.filter { $0.strategy == name }
            let spent = mine.allSatisfy { $0.points.count >= n } ? Self.meanSE(mine.map { $0.points[n - 1].gpuSeconds }) : nil
            lines.append(row + " | " + (spent.map { Self.seconds($0.mean) } ?? "—") + " |")
        }
        if let workers = runs.first?.workers, workers > 1 {
            let wall = gpu.map { $0 / Double(workers) }
            lines.append("\nWith \(workers) asynchronous workers, at simulated wall-clock seconds (the GPU checkpoints / \(workers)):\n")
            lines.append("| strategy | " + wall.map { "best seen @\(Self.seconds($0)) s" }.joined(separator: " | ") + " | "
                         + wall.map { "recommended @\(Self.seconds($0)) s" }.joined(separator: " | ") + " |")
            lines.append("|---|" + String(repeating: "---|", count: 2 * wall.count))
            for name in strategies {
                var row = "| \(name) | "
                row += wall.map { cell(values(name, \.bestSeen, at: $0, by: \.time)) }.joined(separator: " | ") + " | "
                row += wall.map { cell(values(name, \.recommendedTrueError, at: $0, by: \.time)) }.joined(separator: " | ")
                lines.append(row + " |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The smallest `key` (GPU-seconds or wall-clock) at which the mean of `metric` over the strategy's runs is at
    /// or below `target`: each run contributes its last point at or before it, and every run must have got
    /// that far. Nil when the mean never gets there.
    func reach(_ strategy: String, _ metric: (NoisyRunsBenchmark.Point) -> Double, target: Double,
               by key: (NoisyRunsBenchmark.Point) -> Double) -> Double? {
        let mine = runs.filter { $0.strategy == strategy }
        guard !mine.isEmpty, let end = mine.map({ key($0.points.last!) }).min() else { return nil }
        let candidates = Set(mine.flatMap { $0.points.map(key) }).filter { $0 <= end }.sorted()
        var next = [Int](repeating: 0, count: mine.count)  // per run: the index of its first point past x
        for x in candidates {
            var sum = 0.0
            for (r, run) in mine.enumerated() {
                while next[r] < run.points.count && key(run.points[next[r]]) <= x { next[r] += 1 }
                guard next[r] > 0 else { sum = .infinity; break }
                sum += metric(run.points[next[r] - 1])
            }
            if sum / Double(mine.count) <= target { return x }
        }
        return nil
    }

    /// Random search's errors after its last evaluation checkpoint within the budget, and what each strategy
    /// spends to reach them (the issue's "a quarter of random search's GPU-seconds"): nil without a `rs` run.
    public func reachTable() -> String? {
        let rs = runs.filter { $0.strategy == "rs" }
        guard let length = rs.map(\.points.count).min(),
              let n = Self.evaluationCheckpoints.last(where: { $0 <= length }) else { return nil }
        let workers = runs.first?.workers ?? 1
        let targets = (Self.meanSE(rs.map { $0.points[n - 1].bestSeen })!.mean,
                       Self.meanSE(rs.map { $0.points[n - 1].recommendedTrueError })!.mean)
        let rsGPU = Self.meanSE(rs.map { $0.points[n - 1].gpuSeconds })!.mean
        var lines = [String(format: "\nTo reach random search's mean error after %d evaluations (best seen %.3f, recommended %.3f), "
                            + "whose GPU-seconds were %@ (share: of those):\n", n, targets.0, targets.1, Self.seconds(rsGPU))]
        var header = "| strategy | GPU-s to best seen | share | GPU-s to recommended | share |"
        if workers > 1 { header += " wall-clock to best seen | wall-clock to recommended |" }
        lines.append(header)
        lines.append("|---|" + String(repeating: "---|", count: workers > 1 ? 6 : 4))
        func show(_ x: Double?) -> String { x.map(Self.seconds) ?? "not reached" }
        func share(_ x: Double?) -> String { x.map { String(format: "%.2f", $0 / rsGPU) } ?? "—" }
        for name in strategies {
            guard name != "rs" else {
                // Its own mean gets there only when its last run does: the reference, at its mean GPU-seconds.
                lines.append("| rs | \(Self.seconds(rsGPU)) (its \(n) evaluations) | 1.00 | \(Self.seconds(rsGPU)) | 1.00 |"
                             + (workers > 1 ? " — | — |" : ""))
                continue
            }
            let best = reach(name, \.bestSeen, target: targets.0, by: \.gpuSeconds)
            let recommended = reach(name, \.recommendedTrueError, target: targets.1, by: \.gpuSeconds)
            var row = "| \(name) | \(show(best)) | \(share(best)) | \(show(recommended)) | \(share(recommended)) |"
            if workers > 1 {
                row += " \(show(reach(name, \.bestSeen, target: targets.0, by: \.time))) | "
                    + "\(show(reach(name, \.recommendedTrueError, target: targets.1, by: \.time))) |"
            }
            lines.append(row)
        }
        return lines.joined(separator: "\n")
    }

    /// The header of `csv()`; `scripts/optuna_runs.py --csv` writes the same columns, and
    /// `anasod report --bench-curves` reads them.
    public static let csvHeader = "strategy,seed,workers,evaluation,time,gpu_seconds,best_seen,recommended_true_error"

    /// Every run's every point: one row per finished evaluation.
    public func csv() -> String {
        var lines = [Self.csvHeader]
        for run in runs {
            for (i, p) in run.points.enumerated() {
                lines.append("\(run.strategy.contains(",") ? "\"\(run.strategy)\"" : run.strategy),\(run.seed),\(run.workers),\(i + 1),"
                             + "\(p.time),\(p.gpuSeconds),\(p.bestSeen),\(p.recommendedTrueError)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 100000 → "1e5", 300000 → "3e5", 12345.6 → "1.2e4".
    static func seconds(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        let exponent = Int(log10(value).rounded(.down))
        let mantissa = value / pow(10, Double(exponent))
        let text = abs(mantissa - mantissa.rounded()) < 0.05 ? String(Int(mantissa.rounded())) : String(format: "%.1f", mantissa)
        return "\(text)e\(exponent)"
    }
}
