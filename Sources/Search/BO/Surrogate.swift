import ANASOD
import BayesOpt

/// A GP surrogate with a deterministic refit schedule, shared by the BO strategies.
///
/// Hyperparameters are refitted (type-II ML, `HyperparameterFitter`) when the number of successful
/// observations n first reaches n_last + max(1, ⌊growth · n_last⌋) at a propose call (growth at least
/// `largeStudyRefitGrowth` once n_last ≥ `largeStudy`); in between the last
/// fit is reused and only the data grow. The fit at n uses exactly the first n successes and a generator on
/// stream n, so it is a pure function of the history: after a replay the pending fit is recomputed lazily
/// and gives the same hyperparameters as the uninterrupted run.
public struct Surrogate: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var kernel: KernelKind = .matern52
        public var warping: OutputWarping = .rank
        public var restarts: Int = 3
        public var maxIterations: Int = 40
        /// Relative growth of n between refits (0: refit at every call).
        public var refitGrowth: Double = 0.05
        public var defaultLengthscale: Double = 0.5
        /// Hyperparameters are fitted on at most this many observations (an even, deterministic subsample
        /// of the first n beyond it): the fit's cost stays bounded as the study grows, while the model is
        /// conditioned on every observation.
        public var maxFitPoints: Int = 256
        /// The GP is conditioned on at most this many distinct points (observations of one point fold into
        /// one, exactly): beyond it, on the best observations and the most recent ones in turn, so that the
        /// cost of a propose call — O(m³) for the factor, O(m²) per pool point — stays bounded however long
        /// the study runs. Below it (every study of a few thousand distinct points) nothing is left out.
        public var maxConditionPoints: Int = 2048
        /// From this many observations on, refits wait for at least `largeStudyRefitGrowth` relative growth
        /// (a refit costs the same at any n, its subsample being bounded, and the hyperparameters of a GP on
        /// thousands of observations move slowly: at 5 %, refits were most of a large cluster's proposal time).
        public var largeStudy: Int = 1000
        public var largeStudyRefitGrowth: Double = 0.25

        public init(kernel: KernelKind = .matern52, warping: OutputWarping = .rank, restarts: Int = 3,
                    maxIterations: Int = 40, refitGrowth: Double = 0.05, defaultLengthscale: Double = 0.5,
                    maxFitPoints: Int = 256, maxConditionPoints: Int = 2048) {
            self.maxConditionPoints = max(2, maxConditionPoints)
            self.kernel = kernel
            self.warping = warping
            self.restarts = restarts
            self.maxIterations = maxIterations
            self.refitGrowth = refitGrowth
            self.defaultLengthscale = defaultLengthscale
            self.maxFitPoints = max(2, maxFitPoints)
        }
    }

    /// A fitted model and the transformed targets it was conditioned on.
    public struct Model: Sendable {
        public var gp: GaussianProcess
        /// Warped, standardised targets, one per successful observation.
        public var targets: [Double]
        /// The lowest of them.
        public var best: Double
        /// The way from the GP's scale back to the objective's.
        public var scale: WarpedScale
    }

    public let configuration: Configuration
    let salt: UInt64
    /// n at the fit the schedule last made due.
    public private(set) var dueFit: Int?
    private var cached: (n: Int, hyperparameters: GPHyperparameters)?

    public init(configuration: Configuration, salt: UInt64) {
        self.configuration = configuration
        self.salt = salt
    }

    /// Advances the schedule at a propose call (or its replay) with n successful observations.
    public mutating func advance(successes n: Int) {
        guard n > 0 else { return }
        if let last = dueFit {
            let growth = last >= configuration.largeStudy ? max(configuration.refitGrowth, configuration.largeStudyRefitGrowth)
                                                           : configuration.refitGrowth
            if n >= last + max(1, Int(Double(last) * growth)) { dueFit = n }
        } else {
            dueFit = n
        }
    }

    /// The GP on `features` (one row per successful observation, in order) and `values`.
    /// - Throws: `BayesOptError` when even jitter cannot make the kernel matrix positive definite.
    /// - Parameter conditionLimit: instead of `maxConditionPoints` for this model (a cheaper one for a large batch).
    public mutating func model(features: [[Double]], values: [Double], seed: UInt64, conditionLimit: Int? = nil) throws -> Model {
        let kernel = configuration.kernel.kernel
        let n = dueFit ?? features.count
        if cached?.n != n {
            let prefix = min(n, features.count)
            // Warped on all n, then subsampled evenly (every observation's rank counts in the warp).
            let warped = configuration.warping.transform(Array(values.prefix(prefix)))
            let chosen = Self.evenSubsample(prefix, configuration.maxFitPoints)
            let data = try GPData(points: chosen.map { features[$0] }, targets: chosen.map { warped[$0] })
            var rng = SeededGenerator(seed: seed ^ salt, stream: UInt64(n))
            let fitter = HyperparameterFitter(restarts: configuration.restarts,
                                              defaultLengthscale: configuration.defaultLengthscale,
                                              maxIterations: configuration.maxIterations)
            cached = (n, fitter.fit(kernel: kernel, data: data, using: &rng))
        }
        let targets = configuration.warping.transform(values)
        let kept = Self.conditioningSet(features: features, values: targets, limit: max(2, conditionLimit ?? configuration.maxConditionPoints))
        let data = try kept.map { try GPData(points: $0.map { features[$0] }, targets: $0.map { targets[$0] }) }
            ?? GPData(points: features, targets: targets)
        let gp = try GaussianProcess(kernel: kernel, data: data, hyperparameters: cached!.hyperparameters)
        return Model(gp: gp, targets: targets, best: targets.min() ?? 0,
                     scale: WarpedScale(configuration.warping, targets: values))
    }

    /// The observations to condition on when they hold more than `limit` distinct points (nil: all of them):
    /// taken best first and most recent first in turn, each with every other observation of its point,
    /// until `limit` distinct points are in; in index order. The best observation is always kept.
    static func conditioningSet(features: [[Double]], values: [Double], limit: Int) -> [Int]? {
        var byPoint = [[Double]: [Int]]()
        for (i, f) in features.enumerated() { byPoint[f, default: []].append(i) }
        guard byPoint.count > limit else { return nil }
        let best = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var taken = Set<[Double]>()
        var kept = [Int]()
        var b = 0, r = features.count - 1
        var fromBest = true
        while taken.count < limit && (b < best.count || r >= 0) {
            let i: Int
            if fromBest && b < best.count || r < 0 {
                i = best[b]
                b += 1
            } else {
                i = r
                r -= 1
            }
            fromBest.toggle()
            if taken.insert(features[i]).inserted { kept += byPoint[features[i]]! }
        }
        return kept.sorted()
    }

    /// `limit` indices spread evenly over 0..<n (all of them when n ≤ limit), the last one always included.
    static func evenSubsample(_ n: Int, _ limit: Int) -> [Int] {
        guard n > limit else { return Array(0..<n) }
        return (0..<limit).map { i in (i * (n - 1)) / (limit - 1) }
    }
}
