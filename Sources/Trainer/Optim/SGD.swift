import Foundation

/// SGD with momentum, optional Nesterov and weight decay, as PyTorch's `torch.optim.SGD`:
/// d = g + λ·w (λ only on decaying parameters); v = μ·v + d; step = Nesterov ? d + μ·v : v; w -= lr·step.
public struct SGD: Sendable {
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float

    public init(learningRate: Float, momentum: Float = 0.9, nesterov: Bool = true, weightDecay: Float = 5e-4) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter]) {
        let lr = learningRate, mu = momentum
        for p in parameters {
            let decay = p.decays ? weightDecay : 0
            p.value.withUnsafeMutableBufferPointer { w in
                p.gradient.withUnsafeBufferPointer { g in
                    p.momentum.withUnsafeMutableBufferPointer { v in
                        for i in 0..<w.count {
                            let d = g[i] + decay * w[i]
                            v[i] = mu * v[i] + d
                            w[i] -= lr * (nesterov ? d + mu * v[i] : v[i])
                        }
                    }
                }
            }
        }
    }
}

/// Cosine annealing from `base` to `minimum` over `total` steps (Loshchilov & Hutter 2017, no restarts).
public struct CosineSchedule: Sendable {
    public var base: Float
    public var minimum: Float
    public var total: Int

    public init(base: Float, minimum: Float = 0, total: Int) {
        self.base = base
        self.minimum = minimum
        self.total = max(1, total)
    }

    public func rate(at step: Int) -> Float {
        let t = Double(min(step, total)) / Double(total)
        return minimum + Float(0.5 * (1 + cos(Double.pi * t))) * (base - minimum)
    }
}
