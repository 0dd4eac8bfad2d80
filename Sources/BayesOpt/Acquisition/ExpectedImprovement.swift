import Foundation

/// Expected improvement for minimisation (Jones et al. 1998), EI = σ·h(z), z = (best − μ)/σ,
/// h(z) = φ(z) + z Φ(z), returned as log EI so that it is finite and ordered far into the tails
/// (Ament et al., "Unexpected improvements to expected improvement", NeurIPS 2023):
///
/// - z > −1: log h(z) directly;
/// - −25 < z ≤ −1: h(z) = φ(z)·(1 − |z|·R(|z|)), R the Mills ratio Φ(−x)/φ(x) = √(π/2)·erfcx(x/√2), with
///   erfcx(x) = e^{x²} erfc(x) (no overflow: x ≤ 18);
/// - z ≤ −25: 1 − |z| R = 1/z² − 3/z⁴ + 15/z⁶ − 105/z⁸ (asymptotic series, exact to double precision there).
///
/// EI is never negative or NaN: log EI is −∞ only for σ = 0 with μ ≥ best.
public struct ExpectedImprovement: AcquisitionFunction {
    public init() {}

    public func logValue(mean: Double, variance: Double, best: Double) -> Double {
        let sigma = max(variance, 0).squareRoot()
        guard sigma > 0 else { return mean < best ? log(best - mean) : -.infinity }
        let z = (best - mean) / sigma
        return log(sigma) + Self.logH(z)
    }

    /// The plain value EI = σ h(z) (for tests and reports).
    public func value(mean: Double, variance: Double, best: Double) -> Double {
        exp(logValue(mean: mean, variance: variance, best: best))
    }

    /// log h(z), h(z) = φ(z) + z Φ(z).
    public static func logH(_ z: Double) -> Double {
        if z > -1 {
            return log(NormalDistribution.density(z) + z * NormalDistribution.cdf(z))
        }
        let x = -z
        if x < 25 {
            let erfcx = exp(0.5 * x * x) * erfc(x / 2.0.squareRoot())
            let ratio = (Double.pi / 2).squareRoot() * erfcx  // R(x) = Φ(−x)/φ(x)
            return NormalDistribution.logDensity(z) + log1p(-x * ratio)
        }
        let inv = 1 / (x * x)
        let series = inv * (1 - inv * (3 - inv * (15 - 105 * inv)))
        return NormalDistribution.logDensity(z) + log(series)
    }
}
