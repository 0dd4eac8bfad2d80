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
    /// Added to each candidate's log acquisition by the kriging believer, constant liar and local
    /// penalisation (nil: nothing): −α·log c(x) makes log-EI the log of EI per unit cost^α (a cost-aware
    /// acquisition). `.thompson` and `.qEI` pick by samples and ignore it.
    public var logOffsets: [Double]?

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
    ///   - exploration: for kriging believer and constant liar: the candidates of an exploration pool and the
    ///     share of the batch (rounded down) picked only among them, after the others (a batch split
    ///     between exploitation and a trust region's exploration).
    ///   - pendingMultiplicity: how many pending points each pending point of the posterior stands for (the
    ///     same point pending k times is conditioned on once, exactly, with noise σ_n²/k); nil = one each.
    /// - Returns: up to `count` candidate indices, in pick order: the picks of `selection`, without its
    ///   fallback (only `.thompson` and `.qEI` can fall back; callers with those policies call `selection`).
    public func select(count: Int, posterior: PoolPosterior, candidateCount: Int, best: Double, observed: [Double],
                       capacity: [Int]? = nil, draws: [Int]? = nil, exploration: (candidates: [Bool], share: Double)? = nil,
                       pendingMultiplicity: [Int]? = nil) -> [Int] {
        selection(count: count, posterior: posterior, candidateCount: candidateCount, best: best, observed: observed,
                  capacity: capacity, draws: draws, exploration: exploration, pendingMultiplicity: pendingMultiplicity).picks
    }

    /// `select`'s picks, and the fallback the policy took, if any (`BatchSelection.Fallback`), for the caller
    /// to report (BayesOpt does not log).
    public func selection(count: Int, posterior: PoolPosterior, candidateCount: Int, best: Double, observed: [Double],
                          capacity: [Int]? = nil, draws: [Int]? = nil,
                          exploration: (candidates: [Bool], share: Double)? = nil,
                          pendingMultiplicity: [Int]? = nil) -> BatchSelection {
        var posterior = posterior
        let times: (Int) -> Int = { j in pendingMultiplicity.map { $0[j - candidateCount] } ?? 1 }
        var draws = draws ?? [Int](repeating: 0, count: candidateCount)
        var left = capacity ?? [Int](repeating: 1, count: candidateCount)
        var available = left.map { $0 > 0 }
        let pending = Array(candidateCount..<posterior.count)
        var picks = [Int]()
        var fallback: BatchSelection.Fallback?
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
            for j in pending { posterior.condition(on: j, value: lie(j), multiplicity: times(j)) }
            let explored = exploration.map { Int(Double(count) * min(max($0.share, 0), 1)) } ?? 0
            while picks.count < count {
                var eligible = available
                if let exploration, picks.count >= count - explored {
                    for j in 0..<candidateCount where !exploration.candidates[j] { eligible[j] = false }
                }
                guard let j = argmax(candidateCount, eligible, { self.score(posterior, $0, best, draws[$0]) })
                    ?? argmax(candidateCount, available, { self.score(posterior, $0, best, draws[$0]) }) else { break }
                picks.append(j)
                draws[j] += 1
                left[j] -= 1
                available[j] = left[j] > 0
                posterior.condition(on: j, value: lie(j))
            }
        case .thompson:
            for j in pending { posterior.condition(on: j, value: posterior.mean[j], multiplicity: times(j)) }
            (picks, fallback) = thompsonPicks(count: count, posterior: posterior, candidateCount: candidateCount, left: &left)
        case .qEI:
            for j in pending { posterior.condition(on: j, value: posterior.mean[j], multiplicity: times(j)) }
            (picks, fallback) = qEIPicks(count: count, posterior: posterior, candidateCount: candidateCount, best: best,
                                         left: &left)
        case .localPenalization:
            let base = (0..<candidateCount).map { score(posterior, $0, best, draws[$0]) }
            let lipschitz = lipschitzEstimate(posterior, candidateCount)
            var penalty = [Double](repeating: 0, count: candidateCount)
            func penalise(around j: Int, times k: Int = 1) {
                let sigma = max(posterior.variance[j], 1e-12).squareRoot()
                let centre = posterior.point(j)
                for a in 0..<candidateCount {
                    var d2 = 0.0
                    for (u, v) in zip(posterior.point(a), centre) { d2 += (u - v) * (u - v) }
                    let z = (lipschitz * d2.squareRoot() - posterior.mean[j] + best) / sigma
                    penalty[a] += Double(k) * NormalDistribution.logCDF(z)
                }
            }
            for j in pending { penalise(around: j, times: times(j)) }
            while picks.count < count {
                guard let j = argmax(candidateCount, available, { base[$0] + penalty[$0] }) else { break }
                picks.append(j)
                left[j] -= 1
                available[j] = left[j] > 0
                penalise(around: j)
            }
        }
        return BatchSelection(picks: picks, fallback: fallback)
    }

    /// `count` picks, each the lowest value of one sample of f over the candidates from their joint
    /// posterior (μ + L z, L the Cholesky factor of the candidates' posterior covariance); when that
    /// covariance cannot be factored, samples of the independent marginals instead, and the fallback.
    func thompsonPicks(count: Int, posterior: PoolPosterior, candidateCount m: Int,
                       left: inout [Int]) -> (picks: [Int], fallback: BatchSelection.Fallback?) {
        guard m > 0 else { return ([], nil) }
        let factor: Cholesky
        do {
            factor = try jointFactor(posterior, m)
        } catch {
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
            return (picks, BatchSelection.Fallback(policy: .thompson, error: error))
        }
        var rng = SeededGenerator(seed: seed)
        var picks = [Int]()
        while picks.count < count {
            let f = sample(posterior, factor, m, &rng)
            var best: (Int, Double)?
            for a in 0..<m where left[a] > 0 && (best == nil || f[a] < best!.1) { best = (a, f[a]) }
            guard let (j, _) = best else { break }
            picks.append(j)
            left[j] -= 1
        }
        return (picks, nil)
    }

    /// Greedy q-EI on `samples` fixed joint samples: each pick maximises mean over samples of
    /// max(0, best − min(batch so far, candidate)); ties to the lower index. When the candidates' joint
    /// covariance cannot be factored: kriging believer on the acquisition instead, and the fallback.
    func qEIPicks(count: Int, posterior: PoolPosterior, candidateCount m: Int, best: Double, left: inout [Int],
                  samples: Int = 256) -> (picks: [Int], fallback: BatchSelection.Fallback?) {
        guard m > 0 else { return ([], nil) }
        let factor: Cholesky
        do {
            factor = try jointFactor(posterior, m)
        } catch {
            let picks = BatchSelector(acquisition: acquisition, policy: .krigingBeliever, includeNoise: includeNoise)
                .select(count: count, posterior: posterior, candidateCount: m, best: best, observed: [best], capacity: left)
            return (picks, BatchSelection.Fallback(policy: .qEI, error: error))
        }
        var rng = SeededGenerator(seed: seed)
        // Samples of a new observation (f plus the observation noise), as the other policies score it.
        let noise = includeNoise ? posterior.noise.squareRoot() : 0
        let draws = (0..<samples).map { _ in sample(posterior, factor, m, &rng).map { $0 + noise * rng.nextNormal() } }
        var batchMin = [Double](repeating: .infinity, count: samples)
        var picks = [Int]()
        while picks.count < count {
            // Ties (no sample improves: far from the incumbent) go to the single point's log-EI.
            var chosen: (Int, Double, Double)?
            for a in 0..<m where left[a] > 0 {
                var total = 0.0
                for s in 0..<samples { total += max(0, best - min(batchMin[s], draws[s][a])) }
                let single = score(posterior, a, best, 0)
                if chosen == nil || total > chosen!.1 || (total == chosen!.1 && single > chosen!.2) { chosen = (a, total, single) }
            }
            guard let (j, _, _) = chosen else { break }
            picks.append(j)
            left[j] -= 1
            for s in 0..<samples { batchMin[s] = min(batchMin[s], draws[s][j]) }
        }
        return (picks, nil)
    }

    /// One joint sample of f over the candidates: μ + L z.
    func sample(_ posterior: PoolPosterior, _ factor: Cholesky, _ m: Int, _ rng: inout SeededGenerator) -> [Double] {
        let z = (0..<m).map { _ in rng.nextNormal() }
        var f = Array(posterior.mean.prefix(m))
        for k in 0..<m {  // L is lower, column-major: column k touches rows k…m−1
            let zk = z[k]
            for a in k..<m { f[a] += factor.factor[k * m + a] * zk }
        }
        return f
    }

    /// The Cholesky factor of the candidates' joint posterior covariance.
    /// - Throws: `BayesOptError.notPositiveDefinite` when even the largest jitter fails.
    func jointFactor(_ posterior: PoolPosterior, _ m: Int) throws -> Cholesky {
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
        return try Cholesky(matrix: covariance, size: m)
    }

    func score(_ p: PoolPosterior, _ j: Int, _ best: Double, _ draws: Int) -> Double {
        acquisition.logValue(mean: p.mean[j], variance: p.variance[j] + (includeNoise ? p.noise / Double(draws + 1) : 0),
                             best: best) + (logOffsets?[j] ?? 0)
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
