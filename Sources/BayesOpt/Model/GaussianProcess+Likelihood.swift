import Foundation

extension GaussianProcess {
    /// The log marginal likelihood of every observation (replicates unfolded) and its gradient with respect
    /// to `GPHyperparameters.logValues` (Rasmussen & Williams 2006, eq. 5.8–5.9):
    ///
    ///     log p(y) = −½ ȳᵀ K̃⁻¹ ȳ − ½ log|K̃| − n/2 log 2π
    ///                − Σ_i [ (m_i − 1)/2 · log(2π σ_n²) + ½ log m_i ] − SS_within / (2 σ_n²)
    ///     ∂/∂θ_j = ½ tr((α αᵀ − K̃⁻¹) ∂K̃/∂θ_j)  (+ the within-group terms for θ = log σ_n²)
    ///
    /// with ∂K̃/∂log ℓ_t = σ² c'(r²) (−2 Δ_t² / ℓ_t²), ∂K̃/∂log σ² = σ² C, ∂K̃/∂log σ_n² = σ_n² diag(1/m_i).
    /// - Throws: `BayesOptError.notPositiveDefinite` when K̃ cannot be factored.
    public static func logMarginalLikelihood(kernel: any Kernel, data: GPData, hyperparameters h: GPHyperparameters,
                                             withGradient: Bool = true) throws -> (value: Double, gradient: [Double]) {
        let n = data.count, d = data.dimension
        let k = trainingMatrix(kernel: kernel, data: data, hyperparameters: h)
        let chol = try Cholesky(matrix: k, size: n)
        let alpha = chol.solve(data.targets)
        var fit = 0.0
        for i in 0..<n { fit += data.targets[i] * alpha[i] }
        let extraObservations = data.replicates.reduce(0) { $0 + $1 - 1 }
        var logReplicates = 0.0
        for m in data.replicates where m > 1 { logReplicates += log(Double(m)) }
        let log2pi = log(2 * Double.pi)
        let value = -0.5 * fit - 0.5 * chol.logDeterminant - 0.5 * Double(n) * log2pi
            - 0.5 * Double(extraObservations) * (log2pi + log(h.noise)) - 0.5 * logReplicates
            - data.withinSumOfSquares / (2 * h.noise)
        guard withGradient else { return (value, []) }

        // W = α αᵀ − K̃⁻¹ (symmetric).
        var w = chol.inverse()
        for j in 0..<n { for i in 0..<n { w[j * n + i] = alpha[i] * alpha[j] - w[j * n + i] } }

        var gradient = [Double](repeating: 0, count: d + 2)
        let inverse = h.lengthscales.map { 1 / $0 }
        let scaledInputs = scaled(data.inputs, n, d, inverse)
        var diff = [Double](repeating: 0, count: d)
        // Off-diagonal pairs count twice; the diagonal has Δ = 0 and correlation 1.
        for j in 0..<n {
            for i in (j + 1)..<n {
                var r2 = 0.0
                for t in 0..<d {
                    let delta = scaledInputs[i * d + t] - scaledInputs[j * d + t]
                    diff[t] = delta * delta
                    r2 += diff[t]
                }
                let wij = 2 * w[j * n + i]
                let c = kernel.correlation(r2)
                gradient[d] += wij * h.outputScale * c
                let dc = kernel.correlationDerivative(r2) * h.outputScale * -2
                for t in 0..<d { gradient[t] += wij * dc * diff[t] }
            }
        }
        for i in 0..<n {
            gradient[d] += w[i * n + i] * h.outputScale
            gradient[d + 1] += w[i * n + i] * h.noise / Double(data.replicates[i])
        }
        for t in 0..<(d + 2) { gradient[t] *= 0.5 }
        gradient[d + 1] += -0.5 * Double(extraObservations) + data.withinSumOfSquares / (2 * h.noise)
        return (value, gradient)
    }

    /// The log marginal likelihood of this model's data under its hyperparameters (−∞ when the kernel matrix
    /// cannot be factored: no likelihood at all).
    public var logMarginalLikelihood: Double {
        (try? Self.logMarginalLikelihood(kernel: kernel, data: data, hyperparameters: hyperparameters,
                                         withGradient: false).value) ?? -.infinity
    }
}
