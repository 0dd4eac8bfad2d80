import Foundation

/// Batch normalisation over (N, H, W) per channel (Ioffe & Szegedy 2015), with learnable scale γ and
/// shift β. Training uses the batch's mean and biased variance and updates the running statistics
/// (momentum 0.1, unbiased variance, as PyTorch); inference uses the running statistics.
public final class BatchNorm2D: Layer {
    public let channels: Int
    public let epsilon: Float = 1e-5
    public let momentum: Float = 0.1
    public let scale: Parameter
    public let shift: Parameter
    public private(set) var runningMean: [Float]
    public private(set) var runningVariance: [Float]

    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var normalized = [Float]()
    private var inverseStd = [Float]()

    public init(_ channels: Int) {
        self.channels = channels
        scale = Parameter([Float](repeating: 1, count: channels), decays: false)
        shift = Parameter([Float](repeating: 0, count: channels), decays: false)
        runningMean = [Float](repeating: 0, count: channels)
        runningVariance = [Float](repeating: 1, count: channels)
        inverseStd = [Float](repeating: 1, count: channels)
    }

    public var parameters: [Parameter] { [scale, shift] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(like: x)
        let plane = x.h * x.w, m = x.n * plane
        if normalized.count < x.count { normalized = [Float](repeating: 0, count: x.count) }
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                normalized.withUnsafeMutableBufferPointer { np in
                  Parallel.chunks(channels) { range, _ in
                    for ch in range {
                        var mean: Float, invStd: Float
                        if training {
                            var sum: Double = 0, sumSq: Double = 0
                            for i in 0..<x.n {
                                let p = xp.baseAddress! + (i * channels + ch) * plane
                                for j in 0..<plane {
                                    let v = Double(p[j])
                                    sum += v
                                    sumSq += v * v
                                }
                            }
                            let mu = sum / Double(m)
                            let variance = max(sumSq / Double(m) - mu * mu, 0)
                            mean = Float(mu)
                            invStd = Float(1 / (variance + Double(epsilon)).squareRoot())
                            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean
                            let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
                            runningVariance[ch] = (1 - momentum) * runningVariance[ch] + momentum * Float(unbiased)
                        } else {
                            mean = runningMean[ch]
                            invStd = 1 / (runningVariance[ch] + epsilon).squareRoot()
                        }
                        inverseStd[ch] = invStd
                        let g = scale.value[ch], b = shift.value[ch]
                        for i in 0..<x.n {
                            let offset = (i * channels + ch) * plane
                            for j in 0..<plane {
                                let xhat = (xp[offset + j] - mean) * invStd
                                np[offset + j] = xhat
                                yp[offset + j] = g * xhat + b
                            }
                        }
                    }
                  }
                }
            }
        }
        return output
    }

    /// dx = γ·invStd / M · (M·dy − Σdy − x̂·Σ(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy (training statistics).
    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(like: dy)
        let plane = dy.h * dy.w, m = Float(dy.n * plane)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                normalized.withUnsafeBufferPointer { np in
                  Parallel.chunks(channels) { range, _ in
                    for ch in range {
                        var sumG: Float = 0, sumGX: Float = 0
                        for i in 0..<dy.n {
                            let offset = (i * channels + ch) * plane
                            for j in 0..<plane {
                                sumG += gp[offset + j]
                                sumGX += gp[offset + j] * np[offset + j]
                            }
                        }
                        scale.gradient[ch] += sumGX
                        shift.gradient[ch] += sumG
                        let k = scale.value[ch] * inverseStd[ch] / m
                        for i in 0..<dy.n {
                            let offset = (i * channels + ch) * plane
                            for j in 0..<plane {
                                dxp[offset + j] = k * (m * gp[offset + j] - sumG - np[offset + j] * sumGX)
                            }
                        }
                    }
                  }
                }
            }
        }
        return gradInput
    }
}
