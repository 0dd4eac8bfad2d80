import ANASOD
import BayesOpt
import Foundation

/// The probability that a cell keeps to the constraints known only after evaluation (issue 30; Gardner et al.
/// 2014, Gelbart et al. 2014): per constraint, a GP over the features (the encoding; for `anasod-bo-2s`'s
/// within-encoding step also the cell's one-hot features, as latency depends on where operations sit) on the
/// measure the results carry (its log where the bound is positive, as for latencies and memory), no warping, its own refit
/// schedule; P(m(x) ≤ bound) = Φ((t(bound) − μ(x)) / √(σ²(x) + σ_n²)), the predictive of a new measurement.
/// Before `minimumObservations` results carry the measure, the probability is 1: no cell is ruled out blind.
/// A pure function of the observations in order, like every surrogate here.
public struct OutcomeModel: Sendable {
    public static let minimumObservations = 3
    var surrogates = [String: Surrogate]()
    let salt: UInt64

    /// - Parameter salt: tells the streams of two such models apart (encoding and cell level).
    public init(salt: UInt64 = 0x0C0E) { self.salt = salt }

    /// The cells of the results that carry `measure`, and its values.
    static func data(_ history: StrategyHistory, measure: String) -> (cells: [Architecture], values: [Double]) {
        var cells = [Architecture](), values = [Double]()
        for o in history.observations {
            guard let v = o.measured[measure], v.isFinite else { continue }
            cells.append(o.architecture)
            values.append(v)
        }
        return (cells, values)
    }

    /// Advances each measure's refit schedule at a propose call (or its replay).
    mutating func advance(_ history: StrategyHistory) {
        for c in history.feasibility.outcomeConstraints {
            let n = Self.data(history, measure: c.measure).values.count
            guard n >= Self.minimumObservations else { continue }
            let fresh = surrogate(c.measure)
            surrogates[c.measure, default: fresh].advance(successes: n)
        }
    }

    func surrogate(_ measure: String) -> Surrogate {
        var salt = self.salt
        for byte in measure.utf8 { salt = salt &* 31 &+ UInt64(byte) }
        return Surrogate(configuration: Surrogate.Configuration(warping: .none, refitGrowth: 0.1), salt: salt)
    }

    /// log P(every outcome constraint holds) at each of the encodings `candidates` (0 where nothing is known yet).
    /// - Throws: `BayesOptError` when a measure's GP cannot be fitted.
    mutating func logProbability(at candidates: [[[Int]]], history: StrategyHistory) throws -> [Double] {
        var points = [Double]()
        for c in candidates { points += ArchitectureEncoding.gridVector(c) }
        return try logProbability(at: points, count: candidates.count, history: history) { history.space.encode($0).vector }
    }

    /// log P(every outcome constraint holds) at `count` points (rows of `points`) of the feature map `features`.
    /// - Throws: `BayesOptError` when a measure's GP cannot be fitted.
    mutating func logProbability(at points: [Double], count: Int, history: StrategyHistory,
                                 features: (Architecture) -> [Double]) throws -> [Double] {
        let candidates = 0..<count
        var total = [Double](repeating: 0, count: count)
        for c in history.feasibility.outcomeConstraints {
            let data = Self.data(history, measure: c.measure)
            guard data.values.count >= Self.minimumObservations else { continue }
            // The scale depends on the bound alone, so that a refit's hyperparameters (cached between refits) always
            // belong to the same transform: log for a positive bound, values at or below 0 held at 10⁻⁶ of it.
            let logScale = c.bound > 0
            let values = logScale ? data.values.map { Foundation.log(max($0, 1e-6 * c.bound)) } : data.values
            let bound = logScale ? Foundation.log(c.bound) : c.bound
            var surrogate = surrogates[c.measure] ?? self.surrogate(c.measure)
            let model = try surrogate.model(features: data.cells.map(features), values: values, seed: history.seed)
            surrogates[c.measure] = surrogate
            let posterior = model.gp.posterior(at: points, count: count)
            // The GP's scale is standardised: z = (v − mean) / sd.
            let mean = model.scale.original(0), sd = model.scale.original(1) - mean
            let z = (bound - mean) / sd
            let below = c.relation == .atMost || c.relation == .below
            for j in candidates.indices {
                let s = (max(posterior.variance[j], 0) + posterior.noise).squareRoot()
                let u = s > 0 ? (z - posterior.mean[j]) / s : (z >= posterior.mean[j] ? 40 : -40)
                total[j] += NormalDistribution.logCDF(below ? u : -u)
            }
        }
        return total
    }
}
