import ANASOD
import Foundation

/// Fits GP hyperparameters by maximising the log marginal likelihood (type-II maximum likelihood) with
/// analytic gradients, L-BFGS and several restarts.
///
/// The search runs in unconstrained coordinates u with log θ = lo + (hi − lo)·sigmoid(u), so every
/// iterate stays inside `bounds`. Starts: the previous fit (warm start) when given, a default point
/// (ℓ = `defaultLengthscale`, σ² = 1, σ_n² = 0.1), then random points of the box, `restarts` in all.
/// A start whose Cholesky fails is skipped; when all fail, the default point is returned.
public struct HyperparameterFitter: Sendable {
    public var bounds: GPHyperparameterBounds
    public var restarts: Int
    public var defaultLengthscale: Double
    public var optimizer: LBFGS

    public init(bounds: GPHyperparameterBounds = .standard, restarts: Int = 3, defaultLengthscale: Double = 0.5,
                maxIterations: Int = 60) {
        self.bounds = bounds
        self.restarts = max(1, restarts)
        self.defaultLengthscale = defaultLengthscale
        self.optimizer = LBFGS(maxIterations: maxIterations)
    }

    public func fit(kernel: any Kernel, data: GPData, warmStart: GPHyperparameters? = nil,
                    using rng: inout some RandomNumberGenerator) -> GPHyperparameters {
        let d = data.dimension
        let box = bounds.logBox(dimension: d)
        let defaults = GPHyperparameters(lengthscales: Array(repeating: clamp(defaultLengthscale, bounds.lengthscale), count: d),
                                         outputScale: clamp(1, bounds.outputScale), noise: clamp(0.1, bounds.noise))
        var starts = [GPHyperparameters]()
        if let warmStart, warmStart.lengthscales.count == d { starts.append(warmStart) }
        starts.append(defaults)
        while starts.count < restarts {
            let v = (0..<(d + 2)).map { i in box.lower[i] + (box.upper[i] - box.lower[i]) * rng.nextUniform() }
            starts.append(GPHyperparameters(logValues: v))
        }

        var best: (h: GPHyperparameters, value: Double)?
        for start in starts {
            let u0 = zip(start.logValues.indices, start.logValues).map { i, v in
                logit((v - box.lower[i]) / (box.upper[i] - box.lower[i]))
            }
            let result = optimizer.minimize(from: u0) { u in
                let logValues = u.indices.map { box.lower[$0] + (box.upper[$0] - box.lower[$0]) * sigmoid(u[$0]) }
                // A kernel matrix that cannot be factored: infeasible hyperparameters (nil), the optimiser steps back.
                guard let lml = try? GaussianProcess.logMarginalLikelihood(
                    kernel: kernel, data: data, hyperparameters: GPHyperparameters(logValues: logValues)) else { return nil }
                let gradient = u.indices.map { i -> Double in
                    let s = sigmoid(u[i])
                    return -lml.gradient[i] * (box.upper[i] - box.lower[i]) * s * (1 - s)
                }
                return (-lml.value, gradient)
            }
            guard result.value.isFinite else { continue }
            let logValues = result.point.indices.map { box.lower[$0] + (box.upper[$0] - box.lower[$0]) * sigmoid(result.point[$0]) }
            if best == nil || -result.value > best!.value {
                best = (GPHyperparameters(logValues: logValues), -result.value)
            }
        }
        return best?.h ?? defaults
    }
}

func sigmoid(_ u: Double) -> Double { 1 / (1 + exp(-u)) }

func logit(_ p: Double) -> Double {
    let q = min(max(p, 1e-9), 1 - 1e-9)
    return log(q / (1 - q))
}

func clamp(_ x: Double, _ range: ClosedRange<Double>) -> Double { min(max(x, range.lowerBound), range.upperBound) }
