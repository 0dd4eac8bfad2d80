/// AVX-512 kernels of a depthwise convolution on *shifted rows*: a channel's plane is copied into a
/// zero-padded buffer (for stride 2, into its four phases), where the input under tap t at output position
/// q is simply the value at q + offset[t]; a plane's convolution is then a weighted sum of shifted rows,
/// 16 positions per vector, and its weight gradient one dot product per tap. Compiled for x86-64-v4 with
/// the other kernels: call only after `Trainer` has checked the CPU.
public enum DepthwiseKernels {
    public typealias V = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// out[q] = Σ_t w[t] · base[offsets[t] + q] for q in 0..<count (a multiple of 16), taps in order; every
    /// base[offsets[t] + q] must be readable. With no taps, zeros.
    @inline(never)
    public static func taps(_ w: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, base: UnsafePointer<Float>, count: Int,
                            into out: UnsafeMutablePointer<Float>) {
        precondition(count % 16 == 0, "count must be a multiple of 16")
        var q = 0
        while q + 64 <= count {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for t in 0..<taps {
                let s = base + offsets[t] + q, b = V(repeating: w[t])
                a0 = a0.addingProduct(b, load(s)); a1 = a1.addingProduct(b, load(s + 16))
                a2 = a2.addingProduct(b, load(s + 32)); a3 = a3.addingProduct(b, load(s + 48))
            }
            store(a0, out + q); store(a1, out + q + 16); store(a2, out + q + 32); store(a3, out + q + 48)
            q += 64
        }
        while q < count {
            var a = V()
            for t in 0..<taps { a = a.addingProduct(V(repeating: w[t]), load(base + offsets[t] + q)) }
            store(a, out + q)
            q += 16
        }
    }

    /// g[t] += Σ_q d[q] · base[offsets[t] + q] for q in 0..<count (a multiple of 16): the weight gradient of
    /// one plane. Four partial sums per tap, added in a fixed order.
    @inline(never)
    public static func tapDots(_ d: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, base: UnsafePointer<Float>, count: Int,
                               into g: UnsafeMutablePointer<Float>) {
        precondition(count % 16 == 0, "count must be a multiple of 16")
        for t in 0..<taps {
            let row = base + offsets[t]
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            var q = 0
            while q + 64 <= count {
                a0 = a0.addingProduct(load(d + q), load(row + q)); a1 = a1.addingProduct(load(d + q + 16), load(row + q + 16))
                a2 = a2.addingProduct(load(d + q + 32), load(row + q + 32)); a3 = a3.addingProduct(load(d + q + 48), load(row + q + 48))
                q += 64
            }
            while q < count {
                a0 = a0.addingProduct(load(d + q), load(row + q))
                q += 16
            }
            g[t] += ((a0 + a1) + (a2 + a3)).sum()
        }
    }

    /// Copies an h × w plane (row-major) into a zeroed padded buffer with `padding` zeros on every side:
    /// stride 1, one grid of rows `rowStride` apart; stride 2, the grid's four phases (phase 2a + b at
    /// `buffer + (2a + b)·phaseStride` holds padded pixel (2i + a, 2j + b) at i·rowStride + j). `rectify`
    /// stores max(x, 0). Only the plane's own positions are written: the buffer's zeros are the padding.
    @inline(never)
    public static func pack(_ src: UnsafePointer<Float>, h: Int, w: Int, padding p: Int, stride: Int, rectify: Bool,
                            rowStride: Int, phaseStride: Int, into buffer: UnsafeMutablePointer<Float>) {
        if stride == 1 {
            for y in 0..<h { PaddedGrid.copyRow(src + y * w, buffer + (y + p) * rowStride + p, w, rectify: rectify, mask: nil) }
            return
        }
        // Padded column X = x + p: with p even, even x land in phase column 0 at x/2 + p/2; with p odd, in
        // phase column 1 at x/2 + (p − 1)/2 (and odd x in the other phase).
        let evenPhase = p % 2, evenShift = p / 2, oddShift = (p + 1) / 2
        for y in 0..<h {
            let row = y + p, a = row & 1
            let line = buffer + 2 * a * phaseStride + (row >> 1) * rowStride
            PaddedGrid.split(src + y * w, w, even: line + evenPhase * phaseStride + evenShift,
                             odd: line + (1 - evenPhase) * phaseStride + oddShift, rectify: rectify)
        }
    }

    /// The inverse of `pack` for a gradient: dst[y][x] (h × w, row-major) = the padded buffer's value at
    /// pixel (y + padding, x + padding), 0 where `mask` (laid out like dst) is given and not positive.
    @inline(never)
    public static func unpack(_ buffer: UnsafePointer<Float>, h: Int, w: Int, padding p: Int, stride: Int, rowStride: Int, phaseStride: Int,
                              into dst: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?) {
        if stride == 1 {
            for y in 0..<h {
                PaddedGrid.copyRow(buffer + (y + p) * rowStride + p, dst + y * w, w, rectify: false, mask: mask.map { $0 + y * w })
            }
            return
        }
        let evenPhase = p % 2, evenShift = p / 2, oddShift = (p + 1) / 2
        for y in 0..<h {
            let row = y + p, a = row & 1
            let line = buffer + 2 * a * phaseStride + (row >> 1) * rowStride
            PaddedGrid.mergeRow(line + evenPhase * phaseStride + evenShift, line + (1 - evenPhase) * phaseStride + oddShift, w,
                                into: dst + y * w, mask: mask.map { $0 + y * w })
        }
    }

    /// dst[r·dstStride + i] = src[r·srcStride + i] for `count` rows of `width` values: the valid columns of
    /// a wide result, or a plane placed onto a grid's rows.
    @inline(never)
    public static func copyRows(_ src: UnsafePointer<Float>, srcStride: Int, into dst: UnsafeMutablePointer<Float>, dstStride: Int,
                                count: Int, width: Int) {
        for r in 0..<count { PaddedGrid.copyRow(src + r * srcStride, dst + r * dstStride, width, rectify: false, mask: nil) }
    }
}
