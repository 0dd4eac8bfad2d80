/// k × k average pooling with stride s and no padding (every window full, so the count is always k²):
/// the auxiliary head's `AvgPool2d(5, stride=3)`. Portable loops, planes in parallel.
public final class AveragePool: Layer {
    public let kernel: Int
    public let stride: Int
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var inputShape = (h: 0, w: 0)

    public init(kernel: Int, stride: Int) {
        precondition(kernel >= 1 && stride >= 1, "average pooling needs a positive kernel and stride")
        self.kernel = kernel
        self.stride = stride
    }

    public func outputSize(h: Int, w: Int) -> (Int, Int) { ((h - kernel) / stride + 1, (w - kernel) / stride + 1) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.h >= kernel && x.w >= kernel, "a \(kernel)×\(kernel) pool needs at least \(kernel)×\(kernel), got \(x.h)×\(x.w)")
        let h = x.h, w = x.w, (ho, wo) = outputSize(h: h, w: w), k = kernel, s = stride
        inputShape = (h, w)
        output.resize(n: x.n, c: x.c, h: ho, w: wo)
        let scale = 1 / Float(k * k)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                let xb = xp.baseAddress!, yb = yp.baseAddress!
                Parallel.chunks(x.n * x.c, minimum: 16) { planes, _ in
                    for plane in planes {
                        let src = xb + plane * h * w, dst = yb + plane * ho * wo
                        for oy in 0..<ho {
                            for ox in 0..<wo {
                                var sum: Float = 0
                                for iy in (oy * s)..<(oy * s + k) { for ix in (ox * s)..<(ox * s + k) { sum += src[iy * w + ix] } }
                                dst[oy * wo + ox] = sum * scale
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (h, w) = inputShape, ho = dy.h, wo = dy.w, k = kernel, s = stride
        gradInput.resize(n: dy.n, c: dy.c, h: h, w: w, zero: true)
        let scale = 1 / Float(k * k)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                let gb = gp.baseAddress!, db = dxp.baseAddress!
                Parallel.chunks(dy.n * dy.c, minimum: 16) { planes, _ in
                    for plane in planes {
                        let src = gb + plane * ho * wo, dst = db + plane * h * w
                        for oy in 0..<ho {
                            for ox in 0..<wo {
                                let g = src[oy * wo + ox] * scale
                                for iy in (oy * s)..<(oy * s + k) { for ix in (ox * s)..<(ox * s + k) { dst[iy * w + ix] += g } }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
