import Foundation

/// The joint posterior of f over a finite pool of points (`m × d`), updated in place as points are
/// conditioned on fantasised observations: how batch and asynchronous BO account for pending points.
///
/// Conditioning on an observation y at pool point j with noise σ_n² is a rank-one update:
/// cov'(a, b) = cov(a, b) − cov(a, j) cov(b, j) / s, μ'(a) = μ(a) + cov(a, j) (y − μ(j)) / s,
/// s = var(j) + σ_n². The update vectors are kept so later covariances include every earlier update;
/// each conditioning costs O(m·(n + t)) for t earlier ones.
public struct PoolPosterior: Sendable {
    let gp: GaussianProcess
    let points: [Double]
    public let count: Int
    /// L⁻¹ K(X, P), `n × m` column-major.
    let solved: [Double]
    public private(set) var mean: [Double]
    public private(set) var variance: [Double]
    /// The scaled update vectors u_t = cov_{t−1}(·, j_t) / √s_t.
    private var updates: [[Double]] = []

    init(gp: GaussianProcess, points: [Double], count: Int, solved: [Double], mean: [Double], variance: [Double]) {
        self.gp = gp
        self.points = points
        self.count = count
        self.solved = solved
        self.mean = mean
        self.variance = variance
    }

    /// The noise variance of one new observation.
    public var noise: Double { gp.hyperparameters.noise }

    /// Row j of the pool.
    public func point(_ j: Int) -> ArraySlice<Double> {
        let d = gp.data.dimension
        return points[(j * d)..<((j + 1) * d)]
    }

    /// The current posterior covariance between every pool point and pool point j.
    public func covariance(with j: Int) -> [Double] {
        let d = gp.data.dimension, n = gp.data.count
        let h = gp.hyperparameters
        let column = GaussianProcess.crossCorrelation(kernel: gp.kernel, points, count, Array(point(j)), 1, dimension: d,
                                                      lengthscales: h.lengthscales)
        var cov = column.map { $0 * h.outputScale }
        if n > 0 {
            for a in 0..<count {
                var s = 0.0
                for i in 0..<n { s += solved[a * n + i] * solved[j * n + i] }
                cov[a] -= s
            }
        }
        for u in updates {
            let uj = u[j]
            for a in 0..<count { cov[a] -= u[a] * uj }
        }
        return cov
    }

    /// Conditions on a fantasised observation `value` of pool point j (kriging believer: `value = mean[j]`
    /// leaves every mean unchanged and only shrinks variances; constant liar: a fixed value).
    public mutating func condition(on j: Int, value: Double) {
        let cov = covariance(with: j)
        let s = max(cov[j], 0) + noise
        let scale = 1 / s.squareRoot()
        let u = cov.map { $0 * scale }
        let shift = (value - mean[j]) / s
        for a in 0..<count {
            mean[a] += cov[a] * shift
            variance[a] = max(variance[a] - u[a] * u[a], 1e-12 * gp.hyperparameters.outputScale)
        }
        updates.append(u)
    }
}
