import Foundation

/// Batch normalisation over (N, H, W) per channel (Ioffe & Szegedy 2015), with learnable scale γ and
/// shift β. Training uses the batch's mean and biased variance and updates the running statistics
/// (momentum 0.1, unbiased variance, as PyTorch); inference uses the running statistics. Activations are
/// channel-major, so each channel is one contiguous run of N·H·W values; channels run on several threads.
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
    /// The forward pass's input and per-channel statistics: x̂ = (x − mean)·invStd is recomputed in the
    /// backward pass instead of stored.
    private var input: Tensor?
    private var means = [Float]()
    private var inverseStd = [Float]()

    public init(_ channels: Int) {
        self.channels = channels
        scale = Parameter([Float](repeating: 1, count: channels), decays: false)
        shift = Parameter([Float](repeating: 0, count: channels), decays: false)
        runningMean = [Float](repeating: 0, count: channels)
        runningVariance = [Float](repeating: 1, count: channels)
        inverseStd = [Float](repeating: 1, count: channels)
        means = [Float](repeating: 0, count: channels)
    }

    public var parameters: [Parameter] { [scale, shift] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == channels, "BatchNorm2D expects \(channels) channels, got \(x.c)")
        output.resize(like: x)
        input = x
        let m = x.n * x.h * x.w
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                means.withUnsafeMutableBufferPointer { np in
                    runningMean.withUnsafeMutableBufferPointer { rm in
                        runningVariance.withUnsafeMutableBufferPointer { rv in
                            inverseStd.withUnsafeMutableBufferPointer { istd in
                                Parallel.chunks(channels) { range, _ in
                                    for ch in range {
                                        let src = xp.baseAddress! + ch * m
                                        var mean: Float, invStd: Float
                                        if training {
                                            let (sum, sumSq) = Vector.sums(src, m)
                                            let mu = sum / Double(m)
                                            let variance = max(sumSq / Double(m) - mu * mu, 0)
                                            mean = Float(mu)
                                            invStd = Float(1 / (variance + Double(epsilon)).squareRoot())
                                            rm[ch] = (1 - momentum) * rm[ch] + momentum * mean
                                            let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
                                            rv[ch] = (1 - momentum) * rv[ch] + momentum * Float(unbiased)
                                        } else {
                                            mean = rm[ch]
                                            invStd = 1 / (rv[ch] + epsilon).squareRoot()
                                        }
                                        istd[ch] = invStd
                                        np[ch] = mean
                                        Vector.normalize(src, m, mean: mean, invStd: invStd, scale: scale.value[ch], shift: shift.value[ch],
                                                         output: yp.baseAddress! + ch * m)
                                    }
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
        guard let x = input else { preconditionFailure("backward before forward") }
        gradInput.resize(like: dy)
        let m = dy.n * dy.h * dy.w
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                x.data.withUnsafeBufferPointer { xp in
                    scale.gradient.withUnsafeMutableBufferPointer { dg in
                        shift.gradient.withUnsafeMutableBufferPointer { db in
                            Parallel.chunks(channels) { range, _ in
                                for ch in range {
                                    let g = gp.baseAddress! + ch * m, xc = xp.baseAddress! + ch * m
                                    let mean = means[ch], invStd = inverseStd[ch]
                                    let (sg, sgc) = Vector.sumAndCenteredDot(g, xc, m, mean: mean)
                                    let sumG = Float(sg), sumGX = Float(sgc * Double(invStd))  // Σ dy·x̂
                                    dg[ch] += sumGX
                                    db[ch] += sumG
                                    let k = scale.value[ch] * invStd / Float(m)
                                    Vector.batchNormGradient(g, xc, m, mean: mean, invStd: invStd, k: k, sumG: sumG, sumGX: sumGX,
                                                             output: dxp.baseAddress! + ch * m)
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
