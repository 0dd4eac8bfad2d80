/// Vectorised loops over contiguous float runs (SIMD8 lanes, scalar tails). Sums accumulate in float
/// lanes over blocks of 1,024 values and in double across blocks, so long runs keep their precision.
enum Vector {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Σx and Σx² of `count` values.
    static func sums(_ x: UnsafePointer<Float>, _ count: Int) -> (Double, Double) { sumAndDot(x, x, count) }

    /// Σa and Σa·b of `count` values.
    static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
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

    /// normalized = (x − mean)·invStd, output = scale·normalized + shift.
    static func normalize(_ x: UnsafePointer<Float>, _ count: Int, mean: Float, invStd: Float, scale: Float, shift: Float,
                          normalized: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        var i = 0
        let vm = V(repeating: mean), vi = V(repeating: invStd), vg = V(repeating: scale), vb = V(repeating: shift)
        while i + 8 <= count {
            let xhat = (load(x + i) - vm) * vi
            store(xhat, normalized + i)
            store(vg * xhat + vb, output + i)
            i += 8
        }
        while i < count {
            let xhat = (x[i] - mean) * invStd
            normalized[i] = xhat
            output[i] = scale * xhat + shift
            i += 1
        }
    }

    /// output = k·(M·g − sumG − x̂·sumGX), M = count.
    static func batchNormGradient(_ g: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ count: Int, k: Float, sumG: Float,
                                  sumGX: Float, output: UnsafeMutablePointer<Float>) {
        let m = Float(count)
        var i = 0
        let vk = V(repeating: k), vm = V(repeating: m), vs = V(repeating: sumG), vx = V(repeating: sumGX)
        while i + 8 <= count {
            store(vk * (vm * load(g + i) - vs - load(xhat + i) * vx), output + i)
            i += 8
        }
        while i < count {
            output[i] = k * (m * g[i] - sumG - xhat[i] * sumGX)
            i += 1
        }
    }
}
