import Foundation

/// 3×3 pooling with padding 1 and stride 1 or 2, max or average (the padding never counted: DARTS's
/// `max_pool_3x3` and `avg_pool_3x3` with `count_include_pad=False`), in reduction cells too. Portable
/// loops, channels in parallel.
public final class Pool3x3: Layer {
    public enum Kind: Sendable { case max, average }
    public let kind: Kind
    public let stride: Int

    private var input: Tensor?
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    /// For max pooling: the flat input index each output took its value from.
    private var argmax = [Int32]()

    public init(_ kind: Kind, stride: Int = 1) {
        precondition(stride == 1 || stride == 2, "3×3 pooling has stride 1 or 2")
        self.kind = kind
        self.stride = stride
    }

    public func outputSize(h: Int, w: Int) -> (Int, Int) { ((h - 1) / stride + 1, (w - 1) / stride + 1) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        let n = x.n, c = x.c, h = x.h, w = x.w, (ho, wo) = outputSize(h: h, w: w)
        output.resize(n: n, c: c, h: ho, w: wo)
        if kind == .max && argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let stride = self.stride, kind = self.kind
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    let xb = xp.baseAddress!, yb = yp.baseAddress!, ab = ap.baseAddress
                    Parallel.chunks(c * n) { range, _ in
                        for plane in range {
                            let src = plane * h * w, dst = plane * ho * wo
                            for oy in 0..<ho {
                                let y0 = max(0, oy * stride - 1), y1 = min(h - 1, oy * stride + 1)
                                for ox in 0..<wo {
                                    let x0 = max(0, ox * stride - 1), x1 = min(w - 1, ox * stride + 1)
                                    if kind == .max {
                                        var best = -Float.infinity, at = src + y0 * w + x0
                                        for iy in y0...y1 {
                                            for ix in x0...x1 where xb[src + iy * w + ix] > best {
                                                best = xb[src + iy * w + ix]
                                                at = src + iy * w + ix
                                            }
                                        }
                                        yb[dst + oy * wo + ox] = best
                                        ab![dst + oy * wo + ox] = Int32(at)
                                    } else {
                                        var sum: Float = 0
                                        for iy in y0...y1 { for ix in x0...x1 { sum += xb[src + iy * w + ix] } }
                                        yb[dst + oy * wo + ox] = sum / Float((y1 - y0 + 1) * (x1 - x0 + 1))
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
        let n = x.n, c = x.c, h = x.h, w = x.w, ho = dy.h, wo = dy.w
        gradInput.resize(n: n, c: c, h: h, w: w, zero: true)
        let stride = self.stride, kind = self.kind
        dy.data.withUnsafeBufferPointer { dp in
            gradInput.data.withUnsafeMutableBufferPointer { gp in
                argmax.withUnsafeBufferPointer { ap in
                    let db = dp.baseAddress!, gb = gp.baseAddress!, ab = ap.baseAddress
                    Parallel.chunks(c * n) { range, _ in
                        for plane in range {
                            let src = plane * h * w, dst = plane * ho * wo
                            for oy in 0..<ho {
                                let y0 = max(0, oy * stride - 1), y1 = min(h - 1, oy * stride + 1)
                                for ox in 0..<wo {
                                    let g = db[dst + oy * wo + ox]
                                    if kind == .max {
                                        gb[Int(ab![dst + oy * wo + ox])] += g
                                    } else {
                                        let x0 = max(0, ox * stride - 1), x1 = min(w - 1, ox * stride + 1)
                                        let share = g / Float((y1 - y0 + 1) * (x1 - x0 + 1))
                                        for iy in y0...y1 { for ix in x0...x1 { gb[src + iy * w + ix] += share } }
                                    }
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
