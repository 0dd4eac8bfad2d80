/// AVX-512 micro-kernels for convolutions written as products with *shifted rows*: row r of the
/// (implicit) column matrix is a pointer into a padded activation buffer, so a 3×3 convolution reads its
/// input nine times at nine offsets instead of copying it nine times (im2col). This module is compiled
/// for x86-64-v4 (AVX-512 F/BW/CD/DQ/VL): call it only after `Trainer` has checked that the CPU has
/// those features. Everything is plain Swift: `SIMD16<Float>.addingProduct` becomes one `vfmadd231ps`
/// on a zmm register, with the weight broadcast folded into its memory operand.
///
/// Positions `q` run over `0..<count`, `count` a multiple of `positionBlock`; every row must be readable
/// over that whole range.
public enum ShiftedRowKernels {
    public typealias V = SIMD16<Float>
    /// Positions per block of the product kernel: three 16-float vectors.
    public static let positionBlock = 48

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// out[o][q] = Σ_r wt[r·outputs + o] · rows[r][q] for o in 0..<outputs, q in 0..<count.
    /// Blocks of 8 outputs × 48 positions keep 24 accumulators in registers; each row's three vectors are
    /// loaded once per block and used by 8 fused multiply-adds each.
    @inline(never)
    public static func product(weights wt: UnsafePointer<Float>, outputs: Int, rows: UnsafePointer<UnsafePointer<Float>>,
                               rowCount: Int, count: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        precondition(count % positionBlock == 0, "count must be a multiple of \(positionBlock)")
        var q = 0
        while q < count {
            var o = 0
            while o + 8 <= outputs {
                product8x3(wt + o, outputs, rows, rowCount, q, out + o * outStride + q, outStride)
                o += 8
            }
            while o < outputs {
                product1x3(wt + o, outputs, rows, rowCount, q, out + o * outStride + q)
                o += 1
            }
            q += positionBlock
        }
    }

    @inline(__always)
    private static func product8x3(_ w: UnsafePointer<Float>, _ ws: Int, _ rows: UnsafePointer<UnsafePointer<Float>>, _ rowCount: Int,
                                   _ q: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
        var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
        var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
        var a40 = V(), a41 = V(), a42 = V(), a50 = V(), a51 = V(), a52 = V()
        var a60 = V(), a61 = V(), a62 = V(), a70 = V(), a71 = V(), a72 = V()
        var wr = w
        for r in 0..<rowCount {
            let s = rows[r] + q
            let x0 = load(s), x1 = load(s + 16), x2 = load(s + 32)
            var b = V(repeating: wr[0])
            a00 = a00.addingProduct(b, x0); a01 = a01.addingProduct(b, x1); a02 = a02.addingProduct(b, x2)
            b = V(repeating: wr[1])
            a10 = a10.addingProduct(b, x0); a11 = a11.addingProduct(b, x1); a12 = a12.addingProduct(b, x2)
            b = V(repeating: wr[2])
            a20 = a20.addingProduct(b, x0); a21 = a21.addingProduct(b, x1); a22 = a22.addingProduct(b, x2)
            b = V(repeating: wr[3])
            a30 = a30.addingProduct(b, x0); a31 = a31.addingProduct(b, x1); a32 = a32.addingProduct(b, x2)
            b = V(repeating: wr[4])
            a40 = a40.addingProduct(b, x0); a41 = a41.addingProduct(b, x1); a42 = a42.addingProduct(b, x2)
            b = V(repeating: wr[5])
            a50 = a50.addingProduct(b, x0); a51 = a51.addingProduct(b, x1); a52 = a52.addingProduct(b, x2)
            b = V(repeating: wr[6])
            a60 = a60.addingProduct(b, x0); a61 = a61.addingProduct(b, x1); a62 = a62.addingProduct(b, x2)
            b = V(repeating: wr[7])
            a70 = a70.addingProduct(b, x0); a71 = a71.addingProduct(b, x1); a72 = a72.addingProduct(b, x2)
            wr += ws
        }
        var p = out
        store(a00, p); store(a01, p + 16); store(a02, p + 32); p += os
        store(a10, p); store(a11, p + 16); store(a12, p + 32); p += os
        store(a20, p); store(a21, p + 16); store(a22, p + 32); p += os
        store(a30, p); store(a31, p + 16); store(a32, p + 32); p += os
        store(a40, p); store(a41, p + 16); store(a42, p + 32); p += os
        store(a50, p); store(a51, p + 16); store(a52, p + 32); p += os
        store(a60, p); store(a61, p + 16); store(a62, p + 32); p += os
        store(a70, p); store(a71, p + 16); store(a72, p + 32)
    }

    @inline(__always)
    private static func product1x3(_ w: UnsafePointer<Float>, _ ws: Int, _ rows: UnsafePointer<UnsafePointer<Float>>, _ rowCount: Int,
                                   _ q: Int, _ out: UnsafeMutablePointer<Float>) {
        var a0 = V(), a1 = V(), a2 = V()
        var wr = w
        for r in 0..<rowCount {
            let s = rows[r] + q
            let b = V(repeating: wr[0])
            a0 = a0.addingProduct(b, load(s)); a1 = a1.addingProduct(b, load(s + 16)); a2 = a2.addingProduct(b, load(s + 32))
            wr += ws
        }
        store(a0, out); store(a1, out + 16); store(a2, out + 32)
    }

    /// g[o·rowCount + r] = Σ_q d[o·dStride + q] · rows[r][q] (the weight gradient: output gradients against
    /// shifted input rows), for q in 0..<count (a multiple of 16); with `accumulate`, added to g instead.
    /// Blocks of 8 outputs × 3 rows (`dots8x3`; every row count here is 3·C or 9·C), then 4 outputs × 4
    /// rows for a remainder of 4-7 outputs, single dots for what is left; each accumulator's 16 lanes are
    /// added up once at the end, so the blocking does not change any sum.
    @inline(never)
    public static func rowDots(_ d: UnsafePointer<Float>, dStride: Int, outputs: Int, rows: UnsafePointer<UnsafePointer<Float>>,
                               rowCount: Int, count: Int, into g: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        precondition(count % 16 == 0, "count must be a multiple of 16")
        @inline(__always) func singles(_ o: Int, _ outputCount: Int, from r: Int) {
            for row in r..<rowCount {
                for i in 0..<outputCount {
                    let sum = dot(d + (o + i) * dStride, rows[row], count), at = g + (o + i) * rowCount + row
                    at.pointee = accumulate ? at.pointee + sum : sum
                }
            }
        }
        var o = 0
        while o + 8 <= outputs {
            var r = 0
            while r + 3 <= rowCount {
                dots8x3(d + o * dStride, dStride, rows + r, count, g + o * rowCount + r, rowCount, accumulate)
                r += 3
            }
            singles(o, 8, from: r)
            o += 8
        }
        if o + 4 <= outputs {
            var r = 0
            while r + 4 <= rowCount {
                dots4x4(d + o * dStride, dStride, rows + r, count, g + o * rowCount + r, rowCount, accumulate)
                r += 4
            }
            singles(o, 4, from: r)
            o += 4
        }
        singles(o, outputs - o, from: 0)
    }

    @inline(__always)
    private static func put(_ a: V, _ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        p.pointee = accumulate ? p.pointee + a.sum() : a.sum()
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = V()
        var q = 0
        while q < count {
            acc = acc.addingProduct(load(a + q), load(b + q))
            q += 16
        }
        return acc.sum()
    }

    /// 8 outputs × 3 rows: the 8 output-gradient rows (8 × count floats: 32 KB at 1,024 positions) stay in
    /// the L1 cache while the input rows stream past, one load of each row per 24 multiply-adds (4 × 5
    /// blocks load 5 per 20, and those loads come from L2).
    @inline(__always)
    private static func dots8x3(_ d: UnsafePointer<Float>, _ ds: Int, _ rows: UnsafePointer<UnsafePointer<Float>>, _ count: Int,
                                _ g: UnsafeMutablePointer<Float>, _ gs: Int, _ accumulate: Bool) {
        var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
        var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
        var a40 = V(), a41 = V(), a42 = V(), a50 = V(), a51 = V(), a52 = V()
        var a60 = V(), a61 = V(), a62 = V(), a70 = V(), a71 = V(), a72 = V()
        let r0 = rows[0], r1 = rows[1], r2 = rows[2]
        var q = 0
        while q < count {
            let x0 = load(r0 + q), x1 = load(r1 + q), x2 = load(r2 + q)
            var y = load(d + q)
            a00 = a00.addingProduct(y, x0); a01 = a01.addingProduct(y, x1); a02 = a02.addingProduct(y, x2)
            y = load(d + ds + q)
            a10 = a10.addingProduct(y, x0); a11 = a11.addingProduct(y, x1); a12 = a12.addingProduct(y, x2)
            y = load(d + 2 * ds + q)
            a20 = a20.addingProduct(y, x0); a21 = a21.addingProduct(y, x1); a22 = a22.addingProduct(y, x2)
            y = load(d + 3 * ds + q)
            a30 = a30.addingProduct(y, x0); a31 = a31.addingProduct(y, x1); a32 = a32.addingProduct(y, x2)
            y = load(d + 4 * ds + q)
            a40 = a40.addingProduct(y, x0); a41 = a41.addingProduct(y, x1); a42 = a42.addingProduct(y, x2)
            y = load(d + 5 * ds + q)
            a50 = a50.addingProduct(y, x0); a51 = a51.addingProduct(y, x1); a52 = a52.addingProduct(y, x2)
            y = load(d + 6 * ds + q)
            a60 = a60.addingProduct(y, x0); a61 = a61.addingProduct(y, x1); a62 = a62.addingProduct(y, x2)
            y = load(d + 7 * ds + q)
            a70 = a70.addingProduct(y, x0); a71 = a71.addingProduct(y, x1); a72 = a72.addingProduct(y, x2)
            q += 16
        }
        var p = g
        put(a00, p, accumulate); put(a01, p + 1, accumulate); put(a02, p + 2, accumulate); p += gs
        put(a10, p, accumulate); put(a11, p + 1, accumulate); put(a12, p + 2, accumulate); p += gs
        put(a20, p, accumulate); put(a21, p + 1, accumulate); put(a22, p + 2, accumulate); p += gs
        put(a30, p, accumulate); put(a31, p + 1, accumulate); put(a32, p + 2, accumulate); p += gs
        put(a40, p, accumulate); put(a41, p + 1, accumulate); put(a42, p + 2, accumulate); p += gs
        put(a50, p, accumulate); put(a51, p + 1, accumulate); put(a52, p + 2, accumulate); p += gs
        put(a60, p, accumulate); put(a61, p + 1, accumulate); put(a62, p + 2, accumulate); p += gs
        put(a70, p, accumulate); put(a71, p + 1, accumulate); put(a72, p + 2, accumulate)
    }

    @inline(__always)
    private static func dots4x4(_ d: UnsafePointer<Float>, _ ds: Int, _ rows: UnsafePointer<UnsafePointer<Float>>, _ count: Int,
                                _ g: UnsafeMutablePointer<Float>, _ gs: Int, _ accumulate: Bool) {
        var a00 = V(), a01 = V(), a02 = V(), a03 = V()
        var a10 = V(), a11 = V(), a12 = V(), a13 = V()
        var a20 = V(), a21 = V(), a22 = V(), a23 = V()
        var a30 = V(), a31 = V(), a32 = V(), a33 = V()
        let d0 = d + 0 * ds, d1 = d + 1 * ds, d2 = d + 2 * ds, d3 = d + 3 * ds
        let r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3]
        var q = 0
        while q < count {
            let y0 = load(d0 + q), y1 = load(d1 + q), y2 = load(d2 + q), y3 = load(d3 + q)
            var x = load(r0 + q)
            a00 = a00.addingProduct(y0, x); a10 = a10.addingProduct(y1, x); a20 = a20.addingProduct(y2, x); a30 = a30.addingProduct(y3, x)
            x = load(r1 + q)
            a01 = a01.addingProduct(y0, x); a11 = a11.addingProduct(y1, x); a21 = a21.addingProduct(y2, x); a31 = a31.addingProduct(y3, x)
            x = load(r2 + q)
            a02 = a02.addingProduct(y0, x); a12 = a12.addingProduct(y1, x); a22 = a22.addingProduct(y2, x); a32 = a32.addingProduct(y3, x)
            x = load(r3 + q)
            a03 = a03.addingProduct(y0, x); a13 = a13.addingProduct(y1, x); a23 = a23.addingProduct(y2, x); a33 = a33.addingProduct(y3, x)
            q += 16
        }
        var p = g
        put(a00, p + 0, accumulate); put(a01, p + 1, accumulate); put(a02, p + 2, accumulate); put(a03, p + 3, accumulate); p += gs
        put(a10, p + 0, accumulate); put(a11, p + 1, accumulate); put(a12, p + 2, accumulate); put(a13, p + 3, accumulate); p += gs
        put(a20, p + 0, accumulate); put(a21, p + 1, accumulate); put(a22, p + 2, accumulate); put(a23, p + 3, accumulate); p += gs
        put(a30, p + 0, accumulate); put(a31, p + 1, accumulate); put(a32, p + 2, accumulate); put(a33, p + 3, accumulate)
    }
}
