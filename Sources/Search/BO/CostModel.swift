import ANASOD
import BayesOpt
import Foundation

/// What training a cell will cost, learnt from the seconds its results carry (issue 26; the cost GP of
/// Snoek et al. 2012 and Lee et al. 2020, CArBO).
///
/// log seconds = a + b·log prior(x) + g(x): the prior is the space's `relativeCost` (a FLOPs count) of the
/// encoding x, a and b are fitted by least squares (b clamped to [0, 2]; without a prior, b = 0), and g is a
/// GP over the encoding on the residuals (Matérn-5/2, no warping, its own refit schedule). Before
/// `minimumObservations` results with seconds exist, the prediction is the prior alone (b = 1): only the
/// ratio of two cells' costs matters to the acquisition, and that is the ratio of their FLOPs.
/// A pure function of the observations in order, like every surrogate here.
public struct CostModel: Sendable {
    public static let minimumObservations = 3
    var surrogate = Surrogate(configuration: Surrogate.Configuration(warping: .none, refitGrowth: 0.1), salt: 0xC057)

    public init() {}

    /// The seconds-bearing successes of `history` trained to the end, in order: their encodings and log seconds.
    static func data(_ history: StrategyHistory) -> (counts: [[[Int]]], logSeconds: [Double]) {
        var counts = [[[Int]]](), logSeconds = [Double]()
        for o in history.observations {
            // A cell early stopping stopped paid for a few epochs only: its seconds say nothing of a full training.
            guard o.value?.isFinite == true, o.stoppedAtEpoch == nil, let s = o.seconds, s.isFinite, s > 0 else { continue }
            counts.append(history.space.counts(of: o.architecture))
            logSeconds.append(Foundation.log(s))
        }
        return (counts, logSeconds)
    }

    /// Advances the GP's refit schedule at a propose call (or its replay).
    mutating func advance(_ history: StrategyHistory) {
        let n = Self.data(history).logSeconds.count
        if n >= Self.minimumObservations { surrogate.advance(successes: n) }
    }

    /// The predicted log seconds of encodings `candidates` (up to one additive constant before data).
    /// - Throws: `BayesOptError` when the residual GP cannot be fitted.
    mutating func logSeconds(at candidates: [[[Int]]], history: StrategyHistory) throws -> [Double] {
        let space = history.space
        func logPrior(_ counts: [[Int]]) -> Double? { space.relativeCost(counts: counts).map { Foundation.log(max($0, 1e-12)) } }
        let data = Self.data(history)
        guard data.logSeconds.count >= Self.minimumObservations else {
            return candidates.map { logPrior($0) ?? 0 }
        }
        let priors = data.counts.map { logPrior($0) }
        let hasPrior = priors.allSatisfy { $0 != nil }
        let p = priors.map { $0 ?? 0 }
        let y = data.logSeconds
        let n = Double(y.count)
        let meanP = p.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (pi, yi) in zip(p, y) {
            sxy += (pi - meanP) * (yi - meanY)
            sxx += (pi - meanP) * (pi - meanP)
        }
        let b = hasPrior && sxx > 1e-12 ? min(max(sxy / sxx, 0), 2) : 0
        let a = meanY - b * meanP
        let residuals = zip(p, y).map { $1 - a - b * $0 }
        let model = try surrogate.model(features: data.counts.map(ArchitectureEncoding.gridVector), values: residuals, seed: history.seed)
        var points = [Double]()
        for c in candidates { points += ArchitectureEncoding.gridVector(c) }
        let g = model.gp.posterior(at: points, count: candidates.count).mean
        return candidates.indices.map { j in
            a + (hasPrior ? b * (logPrior(candidates[j]) ?? meanP) : 0) + model.scale.original(g[j])
        }
    }
}
