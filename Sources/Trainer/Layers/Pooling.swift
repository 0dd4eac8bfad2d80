/// 3×3 average pooling, stride 1, padding 1, the padding left out of the count (NB201's avg_pool_3x3,
/// `count_include_pad=False`).
public final class AveragePool3x3: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var rowSums = [Float]()
    private var scaled = [Float]()

    public init() {}

    /// 1 / (number of in-bounds neighbours) of each position.
    @inline(__always)
    static func inverseCount(_ y: Int, _ x: Int, _ h: Int, _ w: Int) -> Float {
        1 / Float((min(y + 1, h - 1) - max(y - 1, 0) + 1) * (min(x + 1, w - 1) - max(x - 1, 0) + 1))
    }

    /// dst = the clipped 3×3 box sum of src, separably (a row pass, then a column pass). The box sum is
    /// its own adjoint, which is what the backward pass uses.
    static func boxSum(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int,
                       _ rows: UnsafeMutablePointer<Float>) {
        for y in 0..<h {
            let s = src + y * w, r = rows + y * w
            if w == 1 { r[0] = s[0]; continue }
            r[0] = s[0] + s[1]
            for x in 1..<(w - 1) { r[x] = s[x - 1] + s[x] + s[x + 1] }
            r[w - 1] = s[w - 2] + s[w - 1]
        }
        for y in 0..<h {
            let d = dst + y * w, mid = rows + y * w
            let up = y > 0 ? rows + (y - 1) * w : nil, down = y < h - 1 ? rows + (y + 1) * w : nil
            for x in 0..<w { d[x] = mid[x] + (up?[x] ?? 0) + (down?[x] ?? 0) }
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        output.resize(like: input)
        let h = input.h, w = input.w, plane = h * w
        if rowSums.count < plane { rowSums = [Float](repeating: 0, count: plane) }
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                rowSums.withUnsafeMutableBufferPointer { rp in
                    for p in 0..<(input.n * input.c) {
                        let dst = yp.baseAddress! + p * plane
                        Self.boxSum(xp.baseAddress! + p * plane, dst, h, w, rp.baseAddress!)
                        for y in 0..<h { for x in 0..<w { dst[y * w + x] *= Self.inverseCount(y, x, h, w) } }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(like: dy)
        let h = dy.h, w = dy.w, plane = h * w
        if rowSums.count < plane { rowSums = [Float](repeating: 0, count: plane) }
        if scaled.count < plane { scaled = [Float](repeating: 0, count: plane) }
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                rowSums.withUnsafeMutableBufferPointer { rp in
                    scaled.withUnsafeMutableBufferPointer { sp in
                        for p in 0..<(dy.n * dy.c) {
                            let src = gp.baseAddress! + p * plane
                            for y in 0..<h { for x in 0..<w { sp[y * w + x] = src[y * w + x] * Self.inverseCount(y, x, h, w) } }
                            Self.boxSum(UnsafePointer(sp.baseAddress!), dxp.baseAddress! + p * plane, h, w, rp.baseAddress!)
                        }
                    }
                }
            }
        }
        return gradInput
    }
}

/// 2×2 average pooling, stride 2 (the shortcut of NB201's residual reduction block); odd edges dropped.
public final class AveragePool2x2: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var inputShape = (h: 0, w: 0)

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let ho = input.h / 2, wo = input.w / 2
        inputShape = (input.h, input.w)
        output.resize(n: input.n, c: input.c, h: ho, w: wo)
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for plane in 0..<(input.n * input.c) {
                    let src = xp.baseAddress! + plane * input.h * input.w, dst = yp.baseAddress! + plane * ho * wo
                    for y in 0..<ho {
                        for x in 0..<wo {
                            let a = src + 2 * y * input.w + 2 * x
                            dst[y * wo + x] = 0.25 * (a[0] + a[1] + a[input.w] + a[input.w + 1])
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (h, w) = inputShape
        gradInput.resize(n: dy.n, c: dy.c, h: h, w: w, zero: true)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                for plane in 0..<(dy.n * dy.c) {
                    let src = gp.baseAddress! + plane * dy.h * dy.w, dst = dxp.baseAddress! + plane * h * w
                    for y in 0..<dy.h {
                        for x in 0..<dy.w {
                            let g = 0.25 * src[y * dy.w + x]
                            let a = dst + 2 * y * w + 2 * x
                            a[0] += g; a[1] += g; a[w] += g; a[w + 1] += g
                        }
                    }
                }
            }
        }
        return gradInput
    }
}

/// Global average pooling: N × C × H × W → N × C.
public final class GlobalAveragePool: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var inputShape = (h: 0, w: 0)

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = (input.h, input.w)
        output.resize(n: input.n, c: input.c, h: 1, w: 1)
        let plane = input.h * input.w
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for p in 0..<(input.n * input.c) {
                    var s: Float = 0
                    for j in 0..<plane { s += xp[p * plane + j] }
                    yp[p] = s / Float(plane)
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (h, w) = inputShape
        gradInput.resize(n: dy.n, c: dy.c, h: h, w: w)
        let plane = h * w
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                for p in 0..<(dy.n * dy.c) {
                    let g = gp[p] / Float(plane)
                    for j in 0..<plane { dxp[p * plane + j] = g }
                }
            }
        }
        return gradInput
    }
}
