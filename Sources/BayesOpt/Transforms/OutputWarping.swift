import Foundation

/// A monotone warping of the targets before the GP sees them, then standardisation to mean 0, SD 1.
///
/// NB201 holds cells at 90 % error (no path from input to output) beside cells at 6 %: on the raw scale a
/// stationary GP spends its whole output scale on that cliff. `rank` maps the targets to normal scores
/// Φ⁻¹((rank − ½)/n) (ties share their mean rank), a copula transform that keeps only the order; `log`
/// takes log(y) (targets must be positive). Warping is monotone increasing, so the minimiser is unchanged.
public enum OutputWarping: String, Sendable, Codable, CaseIterable {
    case none
    case log
    case rank

    /// The warped and standardised targets.
    public func transform(_ y: [Double]) -> [Double] {
        guard !y.isEmpty else { return [] }
        var w: [Double]
        switch self {
        case .none:
            w = y
        case .log:
            w = y.map { Foundation.log(max($0, 1e-12)) }
        case .rank:
            let order = y.indices.sorted { y[$0] < y[$1] }
            w = [Double](repeating: 0, count: y.count)
            var start = 0
            while start < order.count {
                var end = start
                while end + 1 < order.count && y[order[end + 1]] == y[order[start]] { end += 1 }
                let meanRank = Double(start + end) / 2 + 1  // 1-based
                let score = NormalDistribution.quantile((meanRank - 0.5) / Double(y.count))
                for k in start...end { w[order[k]] = score }
                start = end + 1
            }
        }
        let mean = w.reduce(0, +) / Double(w.count)
        var variance = 0.0
        for v in w { variance += (v - mean) * (v - mean) }
        let sd = (variance / Double(w.count)).squareRoot()
        let scale = sd > 1e-12 ? 1 / sd : 1
        return w.map { ($0 - mean) * scale }
    }
}
