import TrainerKernels

/// Vectorised loops over contiguous float runs (SIMD8 lanes, scalar tails). Sums accumulate in float
/// lanes over blocks of 1,024 values and in double across blocks, so long runs keep their precision.
enum Vector {
    typealias V = SIMD8<Float>

    /// Whether these loops run as `TrainerKernels.Streams` (16-float lanes, compiled for AVX-512): where
    /// the convolutions use the AVX-512 kernels (`ShiftedConvolution.enabled`), so
    /// ANASOD_TRAINER_KERNELS=generic keeps the whole trainer portable.
    static let wide = ShiftedConvolution.enabled

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Σx and Σx² of `count` values.
    static func sums(_ x: UnsafePointer<Float>, _ count: Int) -> (Double, Double) { sumAndDot(x, x, count) }

    /// Σa and Σa·b of `count` values.
    static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
        if wide { return Streams.sumAndDot(a, b, count) }
        var sum = 0.0, dot = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + 1024)
            var s = V(), d = V(), i = start
            while i + 8 <= end {
                let va = load(a + i)
                s += va
                d += va * load(b + i)
                i += 8
            }
            var ts = s.sum(), td = d.sum()
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

    /// Σg and Σg·(x − mean) of `count` values (float lanes over blocks of 1,024, double across blocks).
    static func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> (Double, Double) {
        if wide { return Streams.sumAndCenteredDot(g, x, count, mean: mean) }
        var sum = 0.0, dot = 0.0
        var start = 0
        let vm = V(repeating: mean)
        while start < count {
            let end = min(count, start + 1024)
            var s = V(), d = V(), i = start
            while i + 8 <= end {
                let vg = load(g + i)
                s += vg
                d += vg * (load(x + i) - vm)
                i += 8
            }
            var ts = s.sum(), td = d.sum()
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

    /// output = scale·(x − mean)·invStd + shift.
    static func normalize(_ x: UnsafePointer<Float>, _ count: Int, mean: Float, invStd: Float, scale: Float, shift: Float,
                          output: UnsafeMutablePointer<Float>) {
        if wide { return Streams.normalize(x, count, mean: mean, invStd: invStd, scale: scale, shift: shift, output: output) }
        var i = 0
        let vm = V(repeating: mean), vi = V(repeating: invStd), vg = V(repeating: scale), vb = V(repeating: shift)
        while i + 8 <= count {
            store(vg * ((load(x + i) - vm) * vi) + vb, output + i)
            i += 8
        }
        while i < count {
            output[i] = scale * ((x[i] - mean) * invStd) + shift
            i += 1
        }
    }

    /// output = k·(M·g − sumG − x̂·sumGX), M = count, x̂ = (x − mean)·invStd recomputed from the input.
    static func batchNormGradient(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float, invStd: Float,
                                  k: Float, sumG: Float, sumGX: Float, output: UnsafeMutablePointer<Float>) {
        if wide {
            return Streams.batchNormGradient(g, x, count, mean: mean, invStd: invStd, k: k, sumG: sumG, sumGX: sumGX, output: output)
        }
        let m = Float(count)
        var i = 0
        let vk = V(repeating: k), vm = V(repeating: m), vs = V(repeating: sumG), vx = V(repeating: sumGX)
        let vmean = V(repeating: mean), vi = V(repeating: invStd)
        while i + 8 <= count {
            let xhat = (load(x + i) - vmean) * vi
            store(vk * (vm * load(g + i) - vs - xhat * vx), output + i)
            i += 8
        }
        while i < count {
            let xhat = (x[i] - mean) * invStd
            output[i] = k * (m * g[i] - sumG - xhat * sumGX)
            i += 1
        }
    }
}
