import TrainerKernels
/// 3×3 average pooling, stride 1, padding 1, the padding left out of the count (NB201's avg_pool_3x3,
/// `count_include_pad=False`). Planes run on several threads; 1 / count comes from a table per size.
public final class AveragePool3x3: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private let rows = Scratch()
    private let scaled = Scratch()
    private var inverseCounts = [Float]()
    private var countsShape = (h: 0, w: 0)

    public init() {}

    /// 1 / (number of in-bounds neighbours) of each position.
    static func inverseCount(_ y: Int, _ x: Int, _ h: Int, _ w: Int) -> Float {
        1 / Float((min(y + 1, h - 1) - max(y - 1, 0) + 1) * (min(x + 1, w - 1) - max(x - 1, 0) + 1))
    }

    private func prepare(_ h: Int, _ w: Int) {
        guard countsShape != (h, w) else { return }
        inverseCounts = (0..<(h * w)).map { Self.inverseCount($0 / w, $0 % w, h, w) }
        countsShape = (h, w)
    }

    /// dst = the clipped 3×3 box sum of src, separably (a row pass, then a column pass). The box sum is
    /// its own adjoint, which is what the backward pass uses.
    @inline(__always)
    static func boxSum(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int,
                       _ r: UnsafeMutablePointer<Float>) {
        for y in 0..<h {
            let s = src + y * w, o = r + y * w
            if w == 1 { o[0] = s[0]; continue }
            o[0] = s[0] + s[1]
            for x in 1..<(w - 1) { o[x] = s[x - 1] + s[x] + s[x + 1] }
            o[w - 1] = s[w - 2] + s[w - 1]
        }
        if h == 1 {
            dst.update(from: r, count: w)
            return
        }
        for x in 0..<w { dst[x] = r[x] + r[w + x] }
        for y in 1..<(h - 1) {
            let d = dst + y * w, up = r + (y - 1) * w, mid = r + y * w, down = r + (y + 1) * w
            for x in 0..<w { d[x] = up[x] + mid[x] + down[x] }
        }
        let last = dst + (h - 1) * w
        for x in 0..<w { last[x] = r[(h - 2) * w + x] + r[(h - 1) * w + x] }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        output.resize(like: input)
        let h = input.h, w = input.w, plane = h * w
        prepare(h, w)
        let threads = Parallel.threads
        rows.reserve(slots: threads, count: plane)
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                inverseCounts.withUnsafeBufferPointer { inv in
                    Parallel.chunks(input.n * input.c, minimum: 16, threads: threads) { planes, slot in
                        for p in planes {
                            let dst = yp.baseAddress! + p * plane
                            if Vector.wide {
                                Streams.boxSum(xp.baseAddress! + p * plane, into: dst, h: h, w: w, rows: rows[slot], scale: inv.baseAddress!)
                                continue
                            }
                            Self.boxSum(xp.baseAddress! + p * plane, dst, h, w, rows[slot])
                            for j in 0..<plane { dst[j] *= inv[j] }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(like: dy)
        let h = dy.h, w = dy.w, plane = h * w
        prepare(h, w)
        let threads = Parallel.threads
        rows.reserve(slots: threads, count: plane)
        scaled.reserve(slots: threads, count: plane)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                inverseCounts.withUnsafeBufferPointer { inv in
                    Parallel.chunks(dy.n * dy.c, minimum: 16, threads: threads) { planes, slot in
                        let sp = scaled[slot]
                        for p in planes {
                            let src = gp.baseAddress! + p * plane
                            if Vector.wide {
                                Streams.multiply(src, inv.baseAddress!, into: sp, count: plane)
                                Streams.boxSum(UnsafePointer(sp), into: dxp.baseAddress! + p * plane, h: h, w: w, rows: rows[slot], scale: nil)
                                continue
                            }
                            for j in 0..<plane { sp[j] = src[j] * inv[j] }
                            Self.boxSum(UnsafePointer(sp), dxp.baseAddress! + p * plane, h, w, rows[slot])
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

    public func outputSize(h: Int, w: Int) -> (Int, Int) { (h / 2, w / 2) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let h = input.h, w = input.w, ho = h / 2, wo = w / 2
        inputShape = (h, w)
        output.resize(n: input.n, c: input.c, h: ho, w: wo)
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                Parallel.chunks(input.n * input.c, minimum: 16) { planes, _ in
                    for plane in planes {
                        let src = xp.baseAddress! + plane * h * w, dst = yp.baseAddress! + plane * ho * wo
                        for y in 0..<ho {
                            let a = src + 2 * y * w, b = a + w, d = dst + y * wo
                            for x in 0..<wo { d[x] = 0.25 * (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1]) }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (h, w) = inputShape, ho = dy.h, wo = dy.w
        gradInput.resize(n: dy.n, c: dy.c, h: h, w: w)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                Parallel.chunks(dy.n * dy.c, minimum: 16) { planes, _ in
                    for plane in planes {
                        let src = gp.baseAddress! + plane * ho * wo, dst = dxp.baseAddress! + plane * h * w
                        if h % 2 == 1 || w % 2 == 1 { dst.update(repeating: 0, count: h * w) }  // dropped edges
                        for y in 0..<ho {
                            let s = src + y * wo, a = dst + 2 * y * w, b = a + w
                            for x in 0..<wo {
                                let g = 0.25 * s[x]
                                a[2 * x] = g; a[2 * x + 1] = g; b[2 * x] = g; b[2 * x + 1] = g
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}

/// Global average pooling: channel-major C × N × H × W activations → an N × C feature matrix (row-major,
/// sample by sample, as `Linear` takes it).
public final class GlobalAveragePool: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var inputShape = (h: 0, w: 0)

    public init() {}

    public func outputSize(h: Int, w: Int) -> (Int, Int) { (1, 1) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = (input.h, input.w)
        let n = input.n, c = input.c
        output.resize(n: n, c: c, h: 1, w: 1)
        let plane = input.h * input.w
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for ch in 0..<c {
                    for i in 0..<n {
                        let p = xp.baseAddress! + (ch * n + i) * plane
                        var s: Float = 0
                        for j in 0..<plane { s += p[j] }
                        yp[i * c + ch] = s / Float(plane)
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (h, w) = inputShape, n = dy.n, c = dy.c
        gradInput.resize(n: n, c: c, h: h, w: w)
        let plane = h * w
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                for ch in 0..<c {
                    for i in 0..<n {
                        (dxp.baseAddress! + (ch * n + i) * plane).update(repeating: gp[i * c + ch] / Float(plane), count: plane)
                    }
                }
            }
        }
        return gradInput
    }
}

/// The network's entry: a batch of N × C × H × W images (sample-major, as data sets store them) to
/// channel-major C × N × H × W activations. One channel needs no copy.
public final class ChannelMajor: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init() {}

    static func transpose(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, outer: Int, inner: Int, plane: Int) {
        for a in 0..<outer {
            for b in 0..<inner { (dst + (b * outer + a) * plane).update(from: src + (a * inner + b) * plane, count: plane) }
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if input.c == 1 { return input }
        output.resize(like: input)
        input.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                Self.transpose(xp.baseAddress!, yp.baseAddress!, outer: input.n, inner: input.c, plane: input.h * input.w)
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if dy.c == 1 { return dy }
        gradInput.resize(like: dy)
        dy.data.withUnsafeBufferPointer { gp in
            gradInput.data.withUnsafeMutableBufferPointer { dxp in
                Self.transpose(gp.baseAddress!, dxp.baseAddress!, outer: dy.c, inner: dy.n, plane: dy.h * dy.w)
            }
        }
        return gradInput
    }
}
