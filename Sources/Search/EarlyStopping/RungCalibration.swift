/// How a cell's validation error at a rung predicts its error after full training, learnt from the cells
/// that trained to the end (each passed the rungs below its end, and its errors there were recorded): the
/// least-squares line final ≈ a + b · error-at-rung, its slope kept ≥ 0 (a worse error at a rung never
/// predicts a better end). With fewer than three such cells, or no spread among them, the mean gap between
/// end and rung is added instead; with none, the rung's error stands as it is (training lowers errors, so
/// that errs on the pessimistic side).
///
/// This is how early-stopped cells inform the surrogate (issue 28, item 3): a stopped cell enters the
/// strategy's data at its predicted full-training error, recomputed as more cells finish. The line is
/// fitted on survivors, so a stopped cell's prediction extrapolates past them, toward worse errors, which
/// is the side a cell stopped for being worse lies on.
public struct RungCalibration: Sendable, Hashable {
    /// Rung epoch → (error at the rung, error at the end) of cells trained to the end.
    public private(set) var pairs: [Int: [(rung: Double, final: Double)]] = [:]

    public init() {}

    public static func == (a: RungCalibration, b: RungCalibration) -> Bool {
        a.pairs.keys.sorted() == b.pairs.keys.sorted()
            && a.pairs.allSatisfy { rung, list in
                let other = b.pairs[rung]!
                return list.count == other.count && zip(list, other).allSatisfy { $0.rung == $1.rung && $0.final == $1.final }
            }
    }

    public func hash(into hasher: inout Hasher) {
        for rung in pairs.keys.sorted() {
            hasher.combine(rung)
            for p in pairs[rung]! {
                hasher.combine(p.rung)
                hasher.combine(p.final)
            }
        }
    }

    /// Learns from a cell trained to the end with `final` error and `rungErrors` on the way.
    public mutating func learn(final: Double, rungErrors: [Int: Double]) {
        guard final.isFinite else { return }
        for (rung, error) in rungErrors where error.isFinite { pairs[rung, default: []].append((error, final)) }
    }

    /// The predicted full-training error of a cell stopped at `rung` with `error` there, in 0…100.
    public func predict(rung: Int, error: Double) -> Double { line(rung: rung)(error) }

    /// The map from an error at `rung` to the predicted full-training error, fitted once (for many predictions).
    public func line(rung: Int) -> @Sendable (Double) -> Double {
        let data = pairs[rung] ?? []
        guard !data.isEmpty else { return { $0 } }
        let n = Double(data.count)
        let mx = data.reduce(0) { $0 + $1.rung } / n
        let my = data.reduce(0) { $0 + $1.final } / n
        var sxx = 0.0, sxy = 0.0
        for p in data {
            sxx += (p.rung - mx) * (p.rung - mx)
            sxy += (p.rung - mx) * (p.final - my)
        }
        if data.count >= 3, sxx > 1e-12 * max(1, mx * mx) {
            let b = max(sxy / sxx, 0)
            return { min(max(my + b * ($0 - mx), 0), 100) }
        }
        return { min(max($0 + (my - mx), 0), 100) }
    }
}
