import ANASOD
import Foundation

/// Chooses q points of a candidate pool by an acquisition function, accounting for pending points.
///
/// The pool posterior covers the candidates first (`0..<candidateCount`) and the pending points after
/// them. Kriging believer and constant liar condition the posterior on each pending point, then pick
/// greedily, conditioning on each pick; local penalisation scores once and multiplies in a penalty per
/// pending point and pick. Ties go to the lower index, so selection is deterministic.
public struct BatchSelector: Sendable {
    public var acquisition: any AcquisitionFunction
    public var policy: PendingPolicy
    /// Score a new *observation* (f variance + noise) rather than f itself: with the rounding decoder a new
    /// cell of an encoding is a fresh draw around the encoding's mean, and improving on the best observed
    /// cell is what the search wants. A candidate that already has k draws pending (or picked in this
    /// batch) is scored with noise σ_n²/(k + 1): conditioning shrinks only the variance of f, and without
    /// this discount the noise would keep a batch on q draws of one point; the discount is a cheap stand-in
    /// for q-EI's diminishing return of repeated draws.
    public var includeNoise: Bool
    /// Seeds the joint posterior samples of `.thompson` (selection stays deterministic).
    public var seed: UInt64

    public init(acquisition: any AcquisitionFunction = ExpectedImprovement(), policy: PendingPolicy = .krigingBeliever,
                includeNoise: Bool = true, seed: UInt64 = 0) {
        self.acquisition = acquisition
        self.policy = policy
        self.includeNoise = includeNoise
        self.seed = seed
    }

    /// - Parameters:
    ///   - posterior: over candidates then pending points.
    ///   - best: the lowest observed (transformed) target; `observed` are all the observed targets, for lies.
    ///   - capacity: how many times each candidate may be picked (an encoding stands for as many cells as it
    ///     has left unevaluated; 0 excludes it); nil = once each.
    ///   - draws: how many pending points coincide with each candidate (nil = none).
    /// - Returns: up to `count` candidate indices, in pick order.
    public func select(count: Int, posterior: PoolPosterior, candidateCount: Int, best: Double, observed: [Double],
                       capacity: [Int]? = nil, draws: [Int]? = nil) -> [Int] {
        var posterior = posterior
        var draws = draws ?? [Int](repeating: 0, count: candidateCount)
        var left = capacity ?? [Int](repeating: 1, count: candidateCount)
        var available = left.map { $0 > 0 }
        let pending = Array(candidateCount..<posterior.count)
        var picks = [Int]()
        switch policy {
        case .krigingBeliever, .constantLiar:
            let lie: (Int) -> Double = { j in
                switch policy {
                case .constantLiar(.min): observed.min() ?? 0
                case .constantLiar(.mean): observed.isEmpty ? 0 : observed.reduce(0, +) / Double(observed.count)
                case .constantLiar(.max): observed.max() ?? 0
                default: posterior.mean[j]
                }
            }
            for j in pending { posterior.condition(on: j, value: lie(j)) }
            while picks.count < count {
                guard let j = argmax(candidateCount, available, { self.score(posterior, $0, best, draws[$0]) }) else { break }
                picks.append(j)
                draws[j] += 1
                left[j] -= 1
                available[j] = left[j] > 0
                posterior.condition(on: j, value: lie(j))
            }
        case .thompson:
            for j in pending { posterior.condition(on: j, value: posterior.mean[j]) }
            picks = thompsonPicks(count: count, posterior: posterior, candidateCount: candidateCount, left: &left)
        case .localPenalization:
            let base = (0..<candidateCount).map { score(posterior, $0, best, draws[$0]) }
            let lipschitz = lipschitzEstimate(posterior, candidateCount)
            var penalty = [Double](repeating: 0, count: candidateCount)
            func penalise(around j: Int) {
                let sigma = max(posterior.variance[j], 1e-12).squareRoot()
                let centre = posterior.point(j)
                for a in 0..<candidateCount {
                    var d2 = 0.0
                    for (u, v) in zip(posterior.point(a), centre) { d2 += (u - v) * (u - v) }
                    let z = (lipschitz * d2.squareRoot() - posterior.mean[j] + best) / sigma
                    penalty[a] += NormalDistribution.logCDF(z)
                }
            }
            for j in pending { penalise(around: j) }
            while picks.count < count {
                guard let j = argmax(candidateCount, available, { base[$0] + penalty[$0] }) else { break }
                picks.append(j)
                left[j] -= 1
                available[j] = left[j] > 0
                penalise(around: j)
            }
        }
        return picks
    }

    /// `count` picks, each the lowest value of one sample of f over the candidates from their joint
    /// posterior (μ + L z, L the Cholesky factor of the candidates' posterior covariance).
    func thompsonPicks(count: Int, posterior: PoolPosterior, candidateCount m: Int, left: inout [Int]) -> [Int] {
        guard m > 0 else { return [] }
        var covariance = [Double](repeating: 0, count: m * m)
        for j in 0..<m {
            let column = posterior.covariance(with: j)
            for a in 0..<m { covariance[j * m + a] = column[a] }
        }
        for a in 0..<m {  // symmetric to rounding
            for b in (a + 1)..<max(a + 1, m) {
                let v = 0.5 * (covariance[b * m + a] + covariance[a * m + b])
                covariance[b * m + a] = v
                covariance[a * m + b] = v
            }
        }
        guard let factor = try? Cholesky(matrix: covariance, size: m) else {
            // Not factorisable even with jitter: fall back to independent marginals.
            var rng = SeededGenerator(seed: seed)
            var picks = [Int]()
            while picks.count < count {
                var best: (Int, Double)?
                for j in 0..<m where left[j] > 0 {
                    let f = posterior.mean[j] + max(posterior.variance[j], 0).squareRoot() * rng.nextNormal()
                    if best == nil || f < best!.1 { best = (j, f) }
                }
                guard let (j, _) = best else { break }
                picks.append(j)
                left[j] -= 1
            }
            return picks
        }
        var rng = SeededGenerator(seed: seed)
        var picks = [Int]()
        var z = [Double](repeating: 0, count: m)
        while picks.count < count {
            for i in 0..<m { z[i] = rng.nextNormal() }
            var best: (Int, Double)?
            for a in 0..<m where left[a] > 0 {
                var f = posterior.mean[a]
                for k in 0...a { f += factor.factor[k * m + a] * z[k] }  // (L z)_a, L lower, column-major
                if best == nil || f < best!.1 { best = (a, f) }
            }
            guard let (j, _) = best else { break }
            picks.append(j)
            left[j] -= 1
        }
        return picks
    }

    func score(_ p: PoolPosterior, _ j: Int, _ best: Double, _ draws: Int) -> Double {
        acquisition.logValue(mean: p.mean[j], variance: p.variance[j] + (includeNoise ? p.noise / Double(draws + 1) : 0),
                             best: best)
    }

    func argmax(_ n: Int, _ available: [Bool], _ value: (Int) -> Double) -> Int? {
        var bestIndex: Int?
        var bestValue = -Double.infinity
        for j in 0..<n where available[j] {
            let v = value(j)
            if bestIndex == nil || v > bestValue {
                bestIndex = j
                bestValue = v
            }
        }
        return bestIndex
    }

    /// max |μ(a) − μ(b)| / ‖a − b‖ over candidate pairs: a Lipschitz estimate of the posterior mean.
    func lipschitzEstimate(_ p: PoolPosterior, _ n: Int) -> Double {
        var l = 0.0
        for a in 0..<n {
            for b in (a + 1)..<max(a + 1, n) {
                var d2 = 0.0
                for (u, v) in zip(p.point(a), p.point(b)) { d2 += (u - v) * (u - v) }
                if d2 > 1e-18 { l = max(l, abs(p.mean[a] - p.mean[b]) / d2.squareRoot()) }
            }
        }
        return max(l, 1e-6)
    }
}
