/// The row transforms of a 3×3, padding-1, stride-1 convolution computed as Winograd F(4, 3) along the
/// columns of the image (each group of four output rows 4t … 4t + 3 from the six input rows 4t − 1 …
/// 4t + 4) and as a plain shifted-row product along the rows (Lavin & Gray 2016, one-dimensional). The six
/// input rows d₀…d₅ become V = Bᵀd:
///     V₀ = 4d₀ − 5d₂ + d₄,          V₁ = (d₃ + d₄) − 4(d₁ + d₂),  V₂ = (d₄ − d₃) + 4(d₁ − d₂),
///     V₃ = (d₄ − d₂) − 2(d₁ − d₃),  V₄ = (d₄ − d₂) + 2(d₁ − d₃),  V₅ = 4d₁ − 5d₃ + d₅,
/// and with Uᵢ = Σ_ky G[i][ky]·W[·][·][ky][·] (G's rows: (¼, 0, 0), −(1, 1, 1)/6, −(1, −1, 1)/6,
/// (1, 2, 4)/24, (1, −2, 4)/24, (0, 0, 1)) the six products Mᵢ = Uᵢ ∗ Vᵢ (1 × 3 convolutions along the
/// row) give Y = AᵀM:
///     Y₀ = M₀ + M₁ + M₂ + M₃ + M₄,   Y₁ = (M₁ − M₂) + 2(M₃ − M₄),
///     Y₂ = (M₁ + M₂) + 4(M₃ + M₄),   Y₃ = (M₁ − M₂) + 8(M₃ − M₄) + M₅,
/// so four output rows cost 6 × 3 instead of 4 × 9 multiply-adds per channel pair (2× fewer). The backward
/// pass runs the transposed transforms: dM = A·dY, and the input gradient dd = B·dV added into the rows it
/// came from (neighbouring groups share two input rows).
///
/// Grids: per channel a guard of zeros, then per sample `tileRows` = ⌈h / 4⌉ rows of w + 1 values (the
/// last one zero: the left and right padding of the horizontal taps), then zeros to the end of the span.
/// The vertical padding lives in the transforms (rows outside the image are zero), so a plane needs no
/// zero row. Transform `i` of channel `c` is span i·channels + c.
public enum WinogradRows {
    /// Transformed rows per group (the products per block), and output rows per group.
    public static let transforms = 6
    public static let outputRows = 4

    public struct Layout: Sendable {
        public let h: Int, w: Int, tileRows: Int, rowStride: Int, planeStride: Int, guardSize: Int, channelStride: Int
        public init(h: Int, w: Int, guardSize: Int, channelStride: Int) {
            self.h = h
            self.w = w
            tileRows = (h + 3) / 4
            rowStride = w + 1
            planeStride = tileRows * (w + 1)
            self.guardSize = guardSize
            self.channelStride = channelStride
        }
    }

    /// V = Bᵀd for `samples` samples of `channels` channels (channel ch's first plane at
    /// `x + ch·sourceChannelStride`, planes h·w apart), with max(x, 0) first when `rectify`.
    @inline(never)
    public static func packInput(_ x: UnsafePointer<Float>, sourceChannelStride: Int, samples: Int, channels: Int, rectify: Bool,
                                 _ layout: Layout, into v: UnsafeMutablePointer<Float>) {
        let w = layout.w
        if w >= 16 {
            packInput(SIMD16<Float>.self, x, sourceChannelStride, samples, channels, rectify, layout, v)
        } else if w >= 8 {
            packInput(SIMD8<Float>.self, x, sourceChannelStride, samples, channels, rectify, layout, v)
        } else if w >= 4 {
            packInput(SIMD4<Float>.self, x, sourceChannelStride, samples, channels, rectify, layout, v)
        } else {
            packInput(Float.self, x, sourceChannelStride, samples, channels, rectify, layout, v)
        }
    }

    @inline(__always)
    private static func packInput<L: Lane>(_: L.Type, _ x: UnsafePointer<Float>, _ sourceChannelStride: Int, _ samples: Int,
                                           _ channels: Int, _ rectify: Bool, _ layout: Layout, _ v: UnsafeMutablePointer<Float>) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride, cs = layout.channelStride
        let span = channels * cs
        @inline(__always) func row(_ src: UnsafePointer<Float>, _ y: Int, _ at: Int) -> L {
            guard y >= 0 && y < h else { return L.zero }
            let d = L.load(src + y * w + at)
            return rectify ? d.rectified : d
        }
        for ch in 0..<channels {
            let base = v + ch * cs
            for i in 0..<transforms { (base + i * span).update(repeating: 0, count: layout.guardSize) }
            let origin = base + layout.guardSize
            for s in 0..<samples {
                let src = x + ch * sourceChannelStride + s * hw
                for t in 0..<layout.tileRows {
                    let out = origin + s * ps + t * rs, top = 4 * t - 1
                    L.columns(w) { at in
                        let d0 = row(src, top, at), d1 = row(src, top + 1, at), d2 = row(src, top + 2, at)
                        let d3 = row(src, top + 3, at), d4 = row(src, top + 4, at), d5 = row(src, top + 5, at)
                        let twice = (d1 - d3) * 2, outer = d4 - d2
                        (d0 * 4 - d2 * 5 + d4).store(out + at)
                        (d3 + d4 - (d1 + d2) * 4).store(out + span + at)
                        (d4 - d3 + (d1 - d2) * 4).store(out + 2 * span + at)
                        (outer - twice).store(out + 3 * span + at)
                        (outer + twice).store(out + 4 * span + at)
                        (d1 * 4 - d3 * 5 + d5).store(out + 5 * span + at)
                    }
                    for i in 0..<transforms { out[i * span + w] = 0 }
                }
            }
            let used = layout.guardSize + samples * ps
            for i in 0..<transforms { (base + i * span + used).update(repeating: 0, count: cs - used) }
        }
    }

    /// Y = AᵀM for each group of four output rows (those below row h left out): the valid positions of
    /// the wide products (transform i of channel ch at `m + (i·channels + ch)·wideStride`)
    /// into channel-major planes (channel ch's first at `y + ch·targetChannelStride`).
    @inline(never)
    public static func unpackOutput(_ m: UnsafePointer<Float>, wideStride: Int, samples: Int, channels: Int, _ layout: Layout,
                                    into y: UnsafeMutablePointer<Float>, targetChannelStride: Int) {
        let w = layout.w
        if w >= 16 {
            unpackOutput(SIMD16<Float>.self, m, wideStride, samples, channels, layout, y, targetChannelStride)
        } else if w >= 8 {
            unpackOutput(SIMD8<Float>.self, m, wideStride, samples, channels, layout, y, targetChannelStride)
        } else if w >= 4 {
            unpackOutput(SIMD4<Float>.self, m, wideStride, samples, channels, layout, y, targetChannelStride)
        } else {
            unpackOutput(Float.self, m, wideStride, samples, channels, layout, y, targetChannelStride)
        }
    }

    @inline(__always)
    private static func unpackOutput<L: Lane>(_: L.Type, _ m: UnsafePointer<Float>, _ wideStride: Int, _ samples: Int, _ channels: Int,
                                              _ layout: Layout, _ y: UnsafeMutablePointer<Float>, _ targetChannelStride: Int) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride
        let span = channels * wideStride
        for ch in 0..<channels {
            for s in 0..<samples {
                let dst = y + ch * targetChannelStride + s * hw
                for t in 0..<layout.tileRows {
                    let src = m + ch * wideStride + s * ps + t * rs, top = dst + 4 * t * w, valid = min(4, h - 4 * t)
                    L.columns(w) { at in
                        let m0 = L.load(src + at), m1 = L.load(src + span + at), m2 = L.load(src + 2 * span + at)
                        let m3 = L.load(src + 3 * span + at), m4 = L.load(src + 4 * span + at)
                        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
                        (m0 + a + c).store(top + at)
                        if valid > 1 { (b + d * 2).store(top + w + at) }
                        if valid > 2 { (a + c * 4).store(top + 2 * w + at) }
                        if valid > 3 { (b + d * 8 + L.load(src + 5 * span + at)).store(top + 3 * w + at) }
                    }
                }
            }
        }
    }

    /// dM = A·dY from the group's output-gradient rows g₀…g₃ (rows below h are zero): dM₀ = g₀,
    /// dM₁ = g₀ + g₁ + g₂ + g₃, dM₂ = g₀ − g₁ + g₂ − g₃, dM₃ = g₀ + 2g₁ + 4g₂ + 8g₃, dM₄ = g₀ − 2g₁ + 4g₂ − 8g₃,
    /// dM₅ = g₃, packed like `packInput` (guard, zero columns, zeros past the samples).
    @inline(never)
    public static func packGradient(_ dy: UnsafePointer<Float>, sourceChannelStride: Int, samples: Int, channels: Int,
                                    _ layout: Layout, into dm: UnsafeMutablePointer<Float>) {
        let w = layout.w
        if w >= 16 {
            packGradient(SIMD16<Float>.self, dy, sourceChannelStride, samples, channels, layout, dm)
        } else if w >= 8 {
            packGradient(SIMD8<Float>.self, dy, sourceChannelStride, samples, channels, layout, dm)
        } else if w >= 4 {
            packGradient(SIMD4<Float>.self, dy, sourceChannelStride, samples, channels, layout, dm)
        } else {
            packGradient(Float.self, dy, sourceChannelStride, samples, channels, layout, dm)
        }
    }

    @inline(__always)
    private static func packGradient<L: Lane>(_: L.Type, _ dy: UnsafePointer<Float>, _ sourceChannelStride: Int, _ samples: Int,
                                              _ channels: Int, _ layout: Layout, _ dm: UnsafeMutablePointer<Float>) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride, cs = layout.channelStride
        let span = channels * cs
        for ch in 0..<channels {
            let base = dm + ch * cs
            for i in 0..<transforms { (base + i * span).update(repeating: 0, count: layout.guardSize) }
            let origin = base + layout.guardSize
            for s in 0..<samples {
                let src = dy + ch * sourceChannelStride + s * hw
                for t in 0..<layout.tileRows {
                    let out = origin + s * ps + t * rs, top = src + 4 * t * w, valid = min(4, h - 4 * t)
                    L.columns(w) { at in
                        let g0 = L.load(top + at)
                        let g1 = valid > 1 ? L.load(top + w + at) : L.zero
                        let g2 = valid > 2 ? L.load(top + 2 * w + at) : L.zero
                        let g3 = valid > 3 ? L.load(top + 3 * w + at) : L.zero
                        let even = g0 + g2, odd = g1 + g3, g2x4 = g2 * 4, odd2 = g1 * 2 + g3 * 8
                        g0.store(out + at)
                        (even + odd).store(out + span + at)
                        (even - odd).store(out + 2 * span + at)
                        (g0 + g2x4 + odd2).store(out + 3 * span + at)
                        (g0 + g2x4 - odd2).store(out + 4 * span + at)
                        g3.store(out + 5 * span + at)
                    }
                    for i in 0..<transforms { out[i * span + w] = 0 }
                }
            }
            let used = layout.guardSize + samples * ps
            for i in 0..<transforms { (base + i * span + used).update(repeating: 0, count: cs - used) }
        }
    }

    /// The input gradient from dV (transform i of channel ch at `dv + (i·channels + ch)·wideStride`):
    /// dd = B·dV per group (dd₀ = 4v₀, dd₁ = 4(v₂ − v₁ + v₅) + 2(v₄ − v₃), dd₂ = −5v₀ − 4(v₁ + v₂) − (v₃ + v₄),
    /// dd₃ = (v₁ − v₂) + 2(v₃ − v₄) − 5v₅, dd₄ = v₀ + v₁ + v₂ + v₃ + v₄, dd₅ = v₅) added into input rows
    /// 4t − 1 … 4t + 4: dX[4t] = dd₁(t) + dd₅(t − 1), dX[4t + 1] = dd₂(t), dX[4t + 2] = dd₃(t),
    /// dX[4t + 3] = dd₄(t) + dd₀(t + 1).
    /// With `mask` (laid out like the target), kept only where the mask is positive (a fused ReLU).
    @inline(never)
    public static func unpackInputGradient(_ dv: UnsafePointer<Float>, wideStride: Int, samples: Int, channels: Int, _ layout: Layout,
                                           into dx: UnsafeMutablePointer<Float>, targetChannelStride: Int, mask: UnsafePointer<Float>?) {
        let w = layout.w
        if w >= 16 {
            unpackInputGradient(SIMD16<Float>.self, dv, wideStride, samples, channels, layout, dx, targetChannelStride, mask)
        } else if w >= 8 {
            unpackInputGradient(SIMD8<Float>.self, dv, wideStride, samples, channels, layout, dx, targetChannelStride, mask)
        } else if w >= 4 {
            unpackInputGradient(SIMD4<Float>.self, dv, wideStride, samples, channels, layout, dx, targetChannelStride, mask)
        } else {
            unpackInputGradient(Float.self, dv, wideStride, samples, channels, layout, dx, targetChannelStride, mask)
        }
    }

    @inline(__always)
    private static func unpackInputGradient<L: Lane>(_: L.Type, _ dv: UnsafePointer<Float>, _ wideStride: Int, _ samples: Int,
                                                     _ channels: Int, _ layout: Layout, _ dx: UnsafeMutablePointer<Float>,
                                                     _ targetChannelStride: Int, _ mask: UnsafePointer<Float>?) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride, tiles = layout.tileRows
        let span = channels * wideStride
        for ch in 0..<channels {
            for s in 0..<samples {
                let offset = ch * targetChannelStride + s * hw, dst = dx + offset, keep = mask.map { $0 + offset }
                let plane = dv + ch * wideStride + s * ps
                for t in 0..<tiles {
                    let v = plane + t * rs, first = 4 * t * w, valid = min(4, h - 4 * t)
                    let hasPrevious = t > 0, hasNext = t + 1 < tiles
                    @inline(__always) func put(_ value: L, _ row: Int, _ at: Int) {
                        var g = value
                        if let keep { g = g.kept(where: L.load(keep + first + row * w + at)) }
                        g.store(dst + first + row * w + at)
                    }
                    L.columns(w) { at in
                        let v0 = L.load(v + at), v1 = L.load(v + span + at), v2 = L.load(v + 2 * span + at)
                        let v3 = L.load(v + 3 * span + at), v4 = L.load(v + 4 * span + at), v5 = L.load(v + 5 * span + at)
                        let d12 = v1 + v2, d34 = v3 + v4, m12 = v1 - v2, m34 = v3 - v4
                        var g0 = (v5 - m12) * 4 - m34 * 2
                        if hasPrevious { g0 = g0 + L.load(v - rs + 5 * span + at) }
                        put(g0, 0, at)
                        if valid > 1 { put(-(v0 * 5 + d12 * 4 + d34), 1, at) }
                        if valid > 2 { put(m12 + m34 * 2 - v5 * 5, 2, at) }
                        if valid > 3 {
                            var g3 = v0 + d12 + d34
                            if hasNext {
                                g3 = g3 + L.load(v + rs + at) * 4
                            }
                            put(g3, 3, at)
                        }
                    }
                }
            }
        }
    }
}
