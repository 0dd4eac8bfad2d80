import Foundation

/// Depthwise 2-D convolution (no bias): each channel convolved with its own k × k filter, with stride,
/// dilation and zero padding — the first half of DARTS's separable and dilated convolutions
/// (`sep_conv_3x3` … `dil_conv_5x5`). An optional fused ReLU in front, as in `Conv2D`. Portable loops:
/// channels run in parallel on `Parallel.threads` threads, each channel's sums in a fixed order, so the
/// results do not depend on the thread count.
/// Weights are Kaiming-normal with fan-in k²: N(0, 2 / k²).
public final class DepthwiseConv2D: Layer {
    public let channels: Int
    public let kernel: Int
    public let stride: Int
    public let dilation: Int
    public let padding: Int
    public let rectifiesInput: Bool
    /// W[c][ky][kx].
    public let weight: Parameter

    private var input: Tensor?
    private let rectified = Tensor(n: 0, c: 0)
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    /// - Parameter padding: nil: "same" for stride 1 (dilation · (k − 1) / 2), as DARTS pads.
    public init(channels: Int, kernel: Int, stride: Int = 1, dilation: Int = 1, padding: Int? = nil, rectifiesInput: Bool = false,
                rng: inout some RandomNumberGenerator) {
        precondition(kernel >= 1 && stride >= 1 && dilation >= 1, "kernel, stride and dilation must be positive")
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padding = padding ?? dilation * (kernel - 1) / 2
        self.rectifiesInput = rectifiesInput
        let std = (2 / Double(kernel * kernel)).squareRoot()
        weight = Parameter((0..<(channels * kernel * kernel)).map { _ in Float(std * gaussian(&rng)) }, decays: true)
    }

    public var parameters: [Parameter] { [weight] }

    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        let span = dilation * (kernel - 1) + 1
        return ((h + 2 * padding - span) / stride + 1, (w + 2 * padding - span) / stride + 1)
    }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        let (ho, wo) = outputSize(h: h, w: w)
        return channels * kernel * kernel * ho * wo
    }

    /// The output positions `o` (along one axis of `size` inputs, `outputs` outputs) whose input
    /// `o·stride − padding + tap·dilation` lies inside the plane.
    @inline(__always)
    private func valid(_ tap: Int, _ size: Int, _ outputs: Int) -> Range<Int> {
        let offset = tap * dilation - padding
        let lo = max(0, (-offset + stride - 1) / stride)
        let hi = min(outputs, offset >= size ? 0 : (size - 1 - offset) / stride + 1)
        return lo..<max(lo, hi)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == channels, "DepthwiseConv2D expects \(channels) channels, got \(x.c)")
        if rectifiesInput { Elementwise.rectify(x, into: rectified) }
        let source = rectifiesInput ? rectified : x
        input = x
        let n = x.n, h = x.h, w = x.w, (ho, wo) = outputSize(h: h, w: w), k = kernel
        output.resize(n: n, c: channels, h: ho, w: wo, zero: true)
        source.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weight.value.withUnsafeBufferPointer { wp in
                    let xb = xp.baseAddress!, yb = yp.baseAddress!, wb = wp.baseAddress!
                    Parallel.chunks(channels) { range, _ in
                        for c in range {
                            for s in 0..<n {
                                let plane = xb + (c * n + s) * h * w, out = yb + (c * n + s) * ho * wo
                                for ky in 0..<k {
                                    let rows = valid(ky, h, ho)
                                    for kx in 0..<k {
                                        let cols = valid(kx, w, wo)
                                        let tap = wb[(c * k + ky) * k + kx]
                                        for oy in rows {
                                            let line = plane + (oy * stride - padding + ky * dilation) * w - padding + kx * dilation
                                            let target = out + oy * wo
                                            for ox in cols { target[ox] += tap * line[ox * stride] }
                                        }
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

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        let source = rectifiesInput ? rectified : x
        let n = x.n, h = x.h, w = x.w, ho = dy.h, wo = dy.w, k = kernel
        gradInput.resize(n: n, c: channels, h: h, w: w, zero: true)
        source.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weight.value.withUnsafeBufferPointer { wp in
                        weight.gradient.withUnsafeMutableBufferPointer { gp in
                            let xb = xp.baseAddress!, db = dyp.baseAddress!, dxb = dxp.baseAddress!
                            let wb = wp.baseAddress!, gb = gp.baseAddress!
                            Parallel.chunks(channels) { range, _ in
                                for c in range {
                                    for ky in 0..<k {
                                        let rows = valid(ky, h, ho)
                                        for kx in 0..<k {
                                            let cols = valid(kx, w, wo)
                                            let tap = wb[(c * k + ky) * k + kx]
                                            var sum: Float = 0
                                            for s in 0..<n {
                                                let plane = (c * n + s) * h * w, grad = db + (c * n + s) * ho * wo
                                                for oy in rows {
                                                    let at = plane + (oy * stride - padding + ky * dilation) * w - padding + kx * dilation
                                                    let line = xb + at, back = dxb + at, g = grad + oy * wo
                                                    for ox in cols {
                                                        sum += g[ox] * line[ox * stride]
                                                        back[ox * stride] += tap * g[ox]
                                                    }
                                                }
                                            }
                                            gb[(c * k + ky) * k + kx] += sum
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if rectifiesInput { Elementwise.mask(gradInput, by: rectified, into: gradInput) }
        return gradInput
    }
}
