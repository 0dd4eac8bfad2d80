import ANASOD

/// The cell a strategy would hand its user now, apart from what it happened to observe (issue 26): a
/// noisy study's best draw is its luckiest run, not necessarily its best cell.
public struct Recommendation: Hashable, Sendable {
    public var architecture: Architecture
    /// The strategy's estimate of the cell's objective: the cell GP's posterior mean, on the objective's own
    /// scale, for `anasod-bo-2s` and `onehot-bo`; the cell's mean observed value otherwise.
    public var estimate: Double
    /// The results of this cell the strategy has seen (more than one when it was trained again).
    public var observations: Int

    public init(architecture: Architecture, estimate: Double, observations: Int) {
        self.architecture = architecture
        self.estimate = estimate
        self.observations = observations
    }
}

extension StrategyHistory {
    /// The successful results of each evaluated cell: their mean and count, in first-seen order. Results early
    /// stopping stopped are left out: no one trained them to the end; so are results that break a constraint
    /// known only after evaluation.
    public var cellMeans: [(architecture: Architecture, mean: Double, count: Int)] {
        var order = [Architecture]()
        var sums = [Architecture: (sum: Double, count: Int)]()
        for (i, s) in successes.enumerated() where !stoppedIndices.contains(i) && !violating.contains(i) {
            if sums[s.architecture] == nil { order.append(s.architecture) }
            sums[s.architecture, default: (0, 0)].sum += s.value
            sums[s.architecture, default: (0, 0)].count += 1
        }
        return order.map { (architecture: $0, mean: sums[$0]!.sum / Double(sums[$0]!.count), count: sums[$0]!.count) }
    }

    /// The best seen: the evaluated cell with the lowest mean result (its only result unless trained again;
    /// ties to the first seen). Nil before any success.
    public var bestSeenRecommendation: Recommendation? {
        guard let best = cellMeans.min(by: { $0.mean < $1.mean }) else { return nil }
        return Recommendation(architecture: best.architecture, estimate: best.mean, observations: best.count)
    }
}
