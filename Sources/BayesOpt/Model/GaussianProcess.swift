import CLinearAlgebra
import Foundation

/// A Gaussian-process regression model with a zero prior mean (targets are standardised first), a
/// stationary ARD `Kernel`, output scale σ² and Gaussian noise σ_n² (Rasmussen & Williams 2006, Alg. 2.1).
///
/// K̃ = σ² C(X, X) + σ_n² diag(1/m_i) with C the kernel's correlation and m_i the replicates of point i;
/// L = chol(K̃), α = K̃⁻¹ ȳ. The posterior of f at x* has mean k*ᵀ α and variance σ² − ‖L⁻¹ k*‖².
public struct GaussianProcess: Sendable {
    public let kernel: any Kernel
    public let data: GPData
    public let hyperparameters: GPHyperparameters
    public let cholesky: Cholesky
    /// K̃⁻¹ ȳ.
    public let alpha: [Double]

    /// Conditions the prior on `data`.
    /// - Throws: `BayesOptError.notPositiveDefinite` when K̃ stays indefinite after jitter.
    public init(kernel: any Kernel, data: GPData, hyperparameters: GPHyperparameters) throws {
        precondition(hyperparameters.lengthscales.count == data.dimension, "one length scale per input dimension")
        self.kernel = kernel
        self.data = data
        self.hyperparameters = hyperparameters
        let k = Self.trainingMatrix(kernel: kernel, data: data, hyperparameters: hyperparameters)
        cholesky = try Cholesky(matrix: k, size: data.count)
        alpha = cholesky.solve(data.targets)
    }

    /// K̃ (`n × n`, symmetric).
    static func trainingMatrix(kernel: any Kernel, data: GPData, hyperparameters h: GPHyperparameters) -> [Double] {
        let n = data.count
        var k = crossCorrelation(kernel: kernel, data.inputs, n, data.inputs, n, dimension: data.dimension,
                                 lengthscales: h.lengthscales, symmetric: true)
        for i in 0..<(n * n) { k[i] *= h.outputScale }
        for i in 0..<n { k[i * n + i] += h.noise / Double(data.replicates[i]) }
        return k
    }

    /// C(A, B): the correlation between the rows of A (`a × d`) and B (`b × d`), returned column-major
    /// `a × b` (element (i, j) at j·a + i).
    static func crossCorrelation(kernel: any Kernel, _ a: [Double], _ na: Int, _ b: [Double], _ nb: Int,
                                 dimension d: Int, lengthscales: [Double], symmetric: Bool = false) -> [Double] {
        let inverse = lengthscales.map { 1 / $0 }
        let sa = scaled(a, na, d, inverse), sb = symmetric ? sa : scaled(b, nb, d, inverse)
        var c = [Double](repeating: 0, count: na * nb)
        sa.withUnsafeBufferPointer { pa in
            sb.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for j in 0..<nb {
                        let start = symmetric ? j : 0
                        for i in start..<na {
                            var r2 = 0.0
                            for t in 0..<d {
                                let diff = pa[i * d + t] - pb[j * d + t]
                                r2 += diff * diff
                            }
                            let value = kernel.correlation(r2)
                            pc[j * na + i] = value
                            if symmetric { pc[i * na + j] = value }
                        }
                    }
                }
            }
        }
        return c
    }

    static func scaled(_ x: [Double], _ n: Int, _ d: Int, _ inverse: [Double]) -> [Double] {
        var s = x
        for i in 0..<n { for t in 0..<d { s[i * d + t] *= inverse[t] } }
        return s
    }

    /// The posterior at `points` (`m × d`, row-major), with what is needed for joint covariances.
    public func posterior(at points: [Double], count m: Int) -> PoolPosterior {
        let n = data.count
        let h = hyperparameters
        var cross = Self.crossCorrelation(kernel: kernel, data.inputs, n, points, m, dimension: data.dimension,
                                          lengthscales: h.lengthscales)  // n × m column-major
        for i in 0..<cross.count { cross[i] *= h.outputScale }
        var mean = [Double](repeating: 0, count: m)
        if n > 0 {
            cblas_dgemv(CblasColMajor, CblasTrans, Int32(n), Int32(m), 1.0, cross, Int32(n), alpha, 1, 0.0, &mean, 1)
        }
        let v = cholesky.solveLower(cross, columns: m)  // L⁻¹ K(X, P), n × m
        var variance = [Double](repeating: h.outputScale, count: m)
        for j in 0..<m {
            var s = 0.0
            for i in 0..<n { s += v[j * n + i] * v[j * n + i] }
            variance[j] = max(h.outputScale - s, 1e-12 * h.outputScale)
        }
        return PoolPosterior(gp: self, points: points, count: m, solved: v, mean: mean, variance: variance)
    }

    /// Posterior mean and variance of f at one point.
    public func predict(_ x: [Double]) -> (mean: Double, variance: Double) {
        let p = posterior(at: x, count: 1)
        return (p.mean[0], p.variance[0])
    }
}
