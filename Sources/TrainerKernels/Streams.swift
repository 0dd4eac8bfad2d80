/// AVX-512 versions of the trainer's loops over long contiguous float runs (batch norm's statistics,
/// normalisation and gradient; node sums; ReLU masks): 16-float lanes where the portable `Trainer.Vector`
/// loops get 8-float lanes that the baseline x86-64 build splits into two 4-float halves. Sums keep the
/// portable loops' scheme (float lanes over blocks of 1,024 values, double across blocks), with two
/// accumulators per sum so consecutive adds do not wait on each other.
public enum Streams {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Σa and Σa·b of `count` values.
    @inline(never)
    public static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
        var sum = 0.0, dot = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + 1024)
            var s0 = V(), s1 = V(), d0 = V(), d1 = V(), i = start
            while i + 32 <= end {
                let a0 = load(a + i), a1 = load(a + i + 16)
                s0 += a0
                s1 += a1
                d0 = d0.addingProduct(a0, load(b + i))
                d1 = d1.addingProduct(a1, load(b + i + 16))
                i += 32
            }
            var ts = (s0 + s1).sum(), td = (d0 + d1).sum()
            while i < end {
                ts += a[i]
                td += a[i] * b[i]
                i += 1
            }
            sum += Double(ts)
            dot += Double(td)
            start = end
        }
        return (sum, dot)
    }

    /// Σg and Σg·(x − mean) of `count` values.
    @inline(never)
    public static func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> (Double, Double) {
        var sum = 0.0, dot = 0.0
        var start = 0
        let vm = V(repeating: mean)
        while start < count {
            let end = min(count, start + 1024)
            var s0 = V(), s1 = V(), d0 = V(), d1 = V(), i = start
            while i + 32 <= end {
                let g0 = load(g + i), g1 = load(g + i + 16)
                s0 += g0
                s1 += g1
                d0 = d0.addingProduct(g0, load(x + i) - vm)
                d1 = d1.addingProduct(g1, load(x + i + 16) - vm)
                i += 32
            }
            var ts = (s0 + s1).sum(), td = (d0 + d1).sum()
            while i < end {
                ts += g[i]
                td += g[i] * (x[i] - mean)
                i += 1
            }
            sum += Double(ts)
            dot += Double(td)
            start = end
        }
        return (sum, dot)
    }

    /// output = scale·(x − mean)·invStd + shift, as (x − mean)·k + shift with k = scale·invStd.
    @inline(never)
    public static func normalize(_ x: UnsafePointer<Float>, _ count: Int, mean: Float, invStd: Float, scale: Float, shift: Float,
                                 output: UnsafeMutablePointer<Float>) {
        let k = scale * invStd, vk = V(repeating: k), vm = V(repeating: mean), vb = V(repeating: shift)
        var i = 0
        while i + 16 <= count {
            store(vb.addingProduct(load(x + i) - vm, vk), output + i)
            i += 16
        }
        while i < count {
            output[i] = shift + (x[i] - mean) * k
            i += 1
        }
    }

    /// output = k·(M·g − sumG − x̂·sumGX), M = count, x̂ = (x − mean)·invStd.
    @inline(never)
    public static func batchNormGradient(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float, invStd: Float,
                                         k: Float, sumG: Float, sumGX: Float, output: UnsafeMutablePointer<Float>) {
        let m = Float(count)
        let vk = V(repeating: k), vm = V(repeating: m), vs = V(repeating: sumG), vx = V(repeating: sumGX)
        let vmean = V(repeating: mean), vi = V(repeating: invStd)
        var i = 0
        while i + 16 <= count {
            let xhat = (load(x + i) - vmean) * vi
            store(vk * (vm * load(g + i) - vs - xhat * vx), output + i)
            i += 16
        }
        while i < count {
            let xhat = (x[i] - mean) * invStd
            output[i] = k * (m * g[i] - sumG - xhat * sumGX)
            i += 1
        }
    }

    /// out[i] = a[i] + b[i] for i in `range`.
    @inline(never)
    public static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            store(load(a + i) + load(b + i), out + i)
            i += 16
        }
        while i < range.upperBound {
            out[i] = a[i] + b[i]
            i += 1
        }
    }

    /// out[i] = a[i] + b[i] + c[i] for i in `range`.
    @inline(never)
    public static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           _ range: Range<Int>) {
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            store(load(a + i) + load(b + i) + load(c + i), out + i)
            i += 16
        }
        while i < range.upperBound {
            out[i] = a[i] + b[i] + c[i]
            i += 1
        }
    }

    /// out[i] = g[i] where keep[i] > 0, else 0, for i in `range` (`out` may be `g`).
    @inline(never)
    public static func mask(_ g: UnsafePointer<Float>, _ keep: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var i = range.lowerBound
        let zero = V()
        while i + 16 <= range.upperBound {
            store(load(g + i).replacing(with: zero, where: load(keep + i) .<= zero), out + i)
            i += 16
        }
        while i < range.upperBound {
            out[i] = keep[i] > 0 ? g[i] : 0
            i += 1
        }
    }
}

extension Streams {
    /// dst = the 3×3 box sum of an h × w plane, neighbours outside the plane left out, computed separably
    /// over the flat plane (a row pass into `rows`, then a column pass), so every width vectorises
    /// alike; with `scale`, each output is multiplied by scale[j] (average pooling's 1 / count).
    @inline(never)
    public static func boxSum(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, h: Int, w: Int,
                              rows r: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?) {
        let plane = h * w
        // Row pass: r[j] = s[j − 1] + s[j] + s[j + 1] over the flat plane, then each row's two ends fixed.
        if w == 1 {
            r.update(from: src, count: plane)
        } else {
            var j = 1
            while j + 16 <= plane - 1 {
                store(load(src + j - 1) + load(src + j) + load(src + j + 1), r + j)
                j += 16
            }
            while j < plane - 1 {
                r[j] = src[j - 1] + src[j] + src[j + 1]
                j += 1
            }
            for y in 0..<h {
                let s = src + y * w, o = r + y * w
                o[0] = s[0] + s[1]
                o[w - 1] = s[w - 2] + s[w - 1]
            }
        }
        // Column pass: dst[j] = r[j − w] + r[j] + r[j + w], the first and last rows with two terms.
        @inline(__always) func put(_ v: V, _ j: Int) {
            if let scale { store(v * load(scale + j), dst + j) } else { store(v, dst + j) }
        }
        @inline(__always) func put(_ v: Float, _ j: Int) {
            dst[j] = scale.map { v * $0[j] } ?? v
        }
        if h == 1 {
            var j = 0
            while j + 16 <= plane { put(load(r + j), j); j += 16 }
            while j < plane { put(r[j], j); j += 1 }
            return
        }
        var j = 0
        while j + 16 <= w { put(load(r + j) + load(r + w + j), j); j += 16 }
        while j < w { put(r[j] + r[w + j], j); j += 1 }
        let end = plane - w
        while j + 16 <= end { put(load(r + j - w) + load(r + j) + load(r + j + w), j); j += 16 }
        while j < end { put(r[j - w] + r[j] + r[j + w], j); j += 1 }
        while j + 16 <= plane { put(load(r + j - w) + load(r + j), j); j += 16 }
        while j < plane { put(r[j - w] + r[j], j); j += 1 }
    }

    /// out[j] = a[j]·b[j] for j in 0..<count.
    @inline(never)
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 16 <= count {
            store(load(a + j) * load(b + j), out + j)
            j += 16
        }
        while j < count {
            out[j] = a[j] * b[j]
            j += 1
        }
    }
}
