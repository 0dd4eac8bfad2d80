import Foundation

/// The hyperparameters of a GP with a stationary ARD kernel: length scales ℓ_1…ℓ_d, output scale σ²
/// (variance) and noise variance σ_n², with the box they are fitted in.
public struct GPHyperparameters: Sendable, Hashable {
    public var lengthscales: [Double]
    public var outputScale: Double
    public var noise: Double

    public init(lengthscales: [Double], outputScale: Double, noise: Double) {
        self.lengthscales = lengthscales
        self.outputScale = outputScale
        self.noise = noise
    }

    /// [log ℓ_1 … log ℓ_d, log σ², log σ_n²].
    public var logValues: [Double] { lengthscales.map(log) + [log(outputScale), log(noise)] }

    public init(logValues v: [Double]) {
        lengthscales = v.dropLast(2).map(exp)
        outputScale = exp(v[v.count - 2])
        noise = exp(v[v.count - 1])
    }
}

/// The box, in natural units, that hyperparameters are fitted in (targets standardised to unit variance).
public struct GPHyperparameterBounds: Sendable, Hashable {
    public var lengthscale: ClosedRange<Double>
    public var outputScale: ClosedRange<Double>
    public var noise: ClosedRange<Double>

    /// For inputs in [0, 1] (simplex coordinates, one-hot features) and standardised targets.
    public static let standard = GPHyperparameterBounds(lengthscale: 0.02...20, outputScale: 0.05...20, noise: 1e-6...2)

    public init(lengthscale: ClosedRange<Double>, outputScale: ClosedRange<Double>, noise: ClosedRange<Double>) {
        self.lengthscale = lengthscale
        self.outputScale = outputScale
        self.noise = noise
    }

    /// Lower and upper bounds of the log values, in `GPHyperparameters.logValues` order.
    func logBox(dimension d: Int) -> (lower: [Double], upper: [Double]) {
        let lower = Array(repeating: log(lengthscale.lowerBound), count: d) + [log(outputScale.lowerBound), log(noise.lowerBound)]
        let upper = Array(repeating: log(lengthscale.upperBound), count: d) + [log(outputScale.upperBound), log(noise.upperBound)]
        return (lower, upper)
    }
}
