import Foundation

/// The table of `anasod bench --curves` (issue 28): per strategy, with and without early stopping, the best
/// final validation error after a share of the epoch budget (mean ± standard error over seeds), the share of
/// epochs spent on cells that were stopped, and the share of the budget each needs to reach what the reference
/// (the default strategy, full length) reaches with the whole budget.
public struct CurvesReport: Sendable {
    public let runs: [CurvesBenchmark.Run]
    public let budgetEpochs: Int
    /// The strategy whose full-length result is the target (`anasod-bo-2s`, when run).
    public let reference: String

    public init(runs: [CurvesBenchmark.Run], budgetEpochs: Int, reference: String = "anasod-bo-2s") {
        self.runs = runs
        self.budgetEpochs = budgetEpochs
        self.reference = reference
    }

    static let shares = [0.1, 0.2, 0.4, 0.7, 1.0]

    /// The variants in run order: (strategy, early stopping).
    var variants: [(strategy: String, stopping: EarlyStopping.Rule)] {
        var seen = [(String, EarlyStopping.Rule)]()
        for r in runs where !seen.contains(where: { $0 == (r.strategy, r.rule) }) { seen.append((r.strategy, r.rule)) }
        return seen
    }

    func runs(_ strategy: String, _ stopping: EarlyStopping.Rule) -> [CurvesBenchmark.Run] {
        runs.filter { $0.strategy == strategy && $0.rule == stopping }
    }

    /// The mean over runs of the best after `epochs` (infinity while any run has no finished cell).
    static func meanBest(_ runs: [CurvesBenchmark.Run], after epochs: Int) -> Double {
        runs.map { $0.best(after: epochs) }.reduce(0, +) / Double(max(1, runs.count))
    }

    /// The fewest epochs after which the mean best is at or below `target` (nil: never within the budget).
    func reach(_ runs: [CurvesBenchmark.Run], target: Double) -> Int? {
        // The mean best only changes at some run's point: look there.
        let candidates = Set(runs.flatMap { $0.points.map(\.epochs) }).sorted()
        return candidates.first { Self.meanBest(runs, after: $0) <= target + 1e-9 }
    }

    /// The reference's mean best after the whole budget, full length (nil when it was not run).
    public var target: Double? {
        let mine = runs(reference, .off)
        return mine.isEmpty ? nil : Self.meanBest(mine, after: budgetEpochs)
    }

    public func markdown() -> String {
        var lines = [String]()
        let target = self.target
        lines.append("Best final validation error of the cells trained to the end, after a share of the budget of "
                     + "\(budgetEpochs) epochs (mean ± SE over seeds):\n")
        var header = "| strategy | early stopping | " + Self.shares.map { "@\(Int($0 * 100)) %" }.joined(separator: " | ")
            + " | cells started | cells stopped | epochs on stopped cells |"
        if target != nil { header += " epochs to reach \(reference) full-length @100 % |" }
        lines.append(header)
        lines.append("|---|---|" + String(repeating: "---|", count: Self.shares.count + 3 + (target == nil ? 0 : 1)))
        for (strategy, stopping) in variants {
            let mine = runs(strategy, stopping)
            var row = "| \(strategy) | \(stopping.rawValue) | "
            row += Self.shares.map { share -> String in
                let values = mine.map { $0.best(after: Int((share * Double(budgetEpochs)).rounded())) }
                guard values.allSatisfy(\.isFinite), let s = NoisyRunsReport.meanSE(values) else { return "—" }
                return String(format: "%.3f ± %.3f", s.mean, s.se)
            }.joined(separator: " | ")
            let n = Double(mine.count)
            let started = mine.map { Double($0.cellsStarted) }.reduce(0, +) / n
            let stopped = mine.map { Double($0.cellsStopped) }.reduce(0, +) / n
            let stoppedShare = mine.map { Double($0.stoppedEpochs) / Double(max(1, $0.points.last?.epochs ?? 1)) }.reduce(0, +) / n
            row += String(format: " | %.1f | %.1f | %.1f %% |", started, stopped, 100 * stoppedShare)
            if let target {
                row += reach(mine, target: target).map { String(format: " %d (%.1f %%) |", $0, 100 * Double($0) / Double(budgetEpochs)) }
                    ?? " not reached |"
            }
            lines.append(row)
        }
        if let target { lines.append(String(format: "\nTarget: %@ full-length, mean best after the whole budget: %.3f %%.", reference, target)) }
        return lines.joined(separator: "\n")
    }
}
