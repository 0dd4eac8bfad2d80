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
