import CLinearAlgebra
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
    /// The scaled update vectors u_t = cov_{t−1}(·, j_t) / √s_t, one after another (`m × t`, column-major).
    private var updates: [Double] = []
    private var updateCount = 0

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
        let m = count
        // cov −= Sᵀ s_j (S = L⁻¹ K(X, P), n × m) and cov −= U (U[j, ·])ᵀ: two matrix-vector products, the
        // cost of a pick in a batch of hundreds.
        if n > 0 {
            let sj = Array(solved[(j * n)..<((j + 1) * n)])
            cblas_dgemv(CblasColMajor, CblasTrans, Int32(n), Int32(m), -1.0, solved, Int32(n), sj, 1, 1.0, &cov, 1)
        }
        if updateCount > 0 {
            let uj = (0..<updateCount).map { updates[$0 * m + j] }
            cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(m), Int32(updateCount), -1.0, updates, Int32(m), uj, 1, 1.0, &cov, 1)
        }
        return cov
    }

    /// Conditions on a fantasised observation `value` of pool point j (kriging believer: `value = mean[j]`
    /// leaves every mean unchanged and only shrinks variances; constant liar: a fixed value).
    ///
    /// `multiplicity` k conditions on k observations of the same point at once, all of value `value`: with
    /// independent noise they are, exactly, one observation with noise σ_n²/k (one update instead of k).
    public mutating func condition(on j: Int, value: Double, multiplicity: Int = 1) {
        let cov = covariance(with: j)
        let s = max(cov[j], 0) + noise / Double(max(1, multiplicity))
        let scale = 1 / s.squareRoot()
        let u = cov.map { $0 * scale }
        let shift = (value - mean[j]) / s
        for a in 0..<count {
            mean[a] += cov[a] * shift
            variance[a] = max(variance[a] - u[a] * u[a], 1e-12 * gp.hyperparameters.outputScale)
        }
        updates += u
        updateCount += 1
    }
}
