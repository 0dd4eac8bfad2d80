import Foundation

/// The way back from a GP's warped, standardised scale to the objective's own (`OutputWarping.transform`),
/// for showing a surrogate's predictions to a person and for a recommendation's estimate.
///
/// `none` and `log` invert exactly. `rank` keeps only the order of the targets, so its inverse is the
/// monotone piecewise-linear map through the (normal score, target) pairs of the observed targets, and
/// linear beyond them with the slope of the outermost segment: exact at every observed target, monotone
/// everywhere.
public struct WarpedScale: Sendable {
    public let warping: OutputWarping
    /// Mean and SD of the warped targets before standardisation.
    let mean: Double
    let sd: Double
    /// `rank`: the distinct standardised scores, increasing, and the targets they stand for.
    let knots: [(score: Double, value: Double)]

    /// The scale `warping.transform(targets)` put `targets` on.
    public init(_ warping: OutputWarping, targets y: [Double]) {
        self.warping = warping
        guard !y.isEmpty else {
            mean = 0; sd = 1; knots = []
            return
        }
        let warped: [Double]
        switch warping {
        case .none: warped = y
        case .log: warped = y.map { Foundation.log(max($0, 1e-12)) }
        case .rank: warped = []
        }
        if warping == .rank {
            mean = 0; sd = 1
            let scores = warping.transform(y)
            var byScore = [Double: Double]()
            for (s, v) in zip(scores, y) { byScore[s] = v }  // ties share a score and a value
            knots = byScore.sorted { $0.key < $1.key }.map { (score: $0.key, value: $0.value) }
        } else {
            let m = warped.reduce(0, +) / Double(warped.count)
            var variance = 0.0
            for v in warped { variance += (v - m) * (v - m) }
            let s = (variance / Double(warped.count)).squareRoot()
            mean = m
            sd = s > 1e-12 ? s : 1
            knots = []
        }
    }

    /// The objective's value that the standardised warped value `z` stands for.
    public func original(_ z: Double) -> Double {
        switch warping {
        case .none: return z * sd + mean
        case .log: return Foundation.exp(z * sd + mean)
        case .rank:
            guard let first = knots.first, let last = knots.last else { return z }
            guard knots.count > 1 else { return first.value }
            func line(_ a: (score: Double, value: Double), _ b: (score: Double, value: Double)) -> Double {
                a.value + (z - a.score) * (b.value - a.value) / (b.score - a.score)
            }
            if z <= first.score { return line(knots[0], knots[1]) }
            if z >= last.score { return line(knots[knots.count - 2], last) }
            var lo = 0, hi = knots.count - 1  // knots[lo].score ≤ z < knots[hi].score
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if knots[mid].score <= z { lo = mid } else { hi = mid }
            }
            return line(knots[lo], knots[hi])
        }
    }
}
