/// The portable depthwise convolution: loops over each channel's planes, taps and the output rows each
/// tap reaches (padding handled by the rows' bounds, not by copies), channels in parallel.
final class DepthwiseLoops: DepthwiseAlgorithm {
    let geometry: DepthwiseGeometry
    private let rectified = Tensor(n: 0, c: 0)

    init(_ geometry: DepthwiseGeometry) { self.geometry = geometry }

    /// The output positions `o` (along one axis of `size` inputs, `outputs` outputs) whose input
    /// `o·stride − padding + tap·dilation` lies inside the plane.
    @inline(__always)
    private func valid(_ tap: Int, _ size: Int, _ outputs: Int) -> Range<Int> {
        let offset = tap * geometry.dilation - geometry.padding, stride = geometry.stride
        let lo = max(0, (-offset + stride - 1) / stride)
        let hi = min(outputs, offset >= size ? 0 : (size - 1 - offset) / stride + 1)
        return lo..<max(lo, hi)
    }

    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        if rectify { Elementwise.rectify(x, into: rectified) }
        let source = rectify ? rectified : x
        let n = x.n, h = x.h, w = x.w, (ho, wo) = geometry.outputSize(h: h, w: w), k = geometry.kernel
        let stride = geometry.stride, dilation = geometry.dilation, padding = geometry.padding, channels = geometry.channels
        output.resize(n: n, c: channels, h: ho, w: wo, zero: true)
        source.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weights.withUnsafeBufferPointer { wp in
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
    }

    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor) {
        let source = rectify ? rectified : x
        let n = x.n, h = x.h, w = x.w, ho = dy.h, wo = dy.w, k = geometry.kernel
        let stride = geometry.stride, dilation = geometry.dilation, padding = geometry.padding
        gradInput.resize(n: n, c: geometry.channels, h: h, w: w, zero: true)
        source.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weights.withUnsafeBufferPointer { wp in
                        weightGradient.withUnsafeMutableBufferPointer { gp in
                            let xb = xp.baseAddress!, db = dyp.baseAddress!, dxb = dxp.baseAddress!
                            let wb = wp.baseAddress!, gb = gp.baseAddress!
                            Parallel.chunks(geometry.channels) { range, _ in
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
        if rectify { Elementwise.mask(gradInput, by: rectified, into: gradInput) }
    }
}
