/// The row transforms of a 3×3, padding-1, stride-1 convolution computed as Winograd F(2, 3) along the
/// columns of the image (each output *row pair* 2t, 2t + 1 from input rows 2t − 1 … 2t + 2) and as a plain
/// shifted-row product along the rows. Per output row pair, the four input rows d₀…d₃ become
///     V₀ = d₀ − d₂,  V₁ = d₁ + d₂,  V₂ = d₂ − d₁,  V₃ = d₁ − d₃          (Bᵀd)
/// and with Uᵢ = Σ_ky G[i][ky] W[·][·][ky][·] (G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]) the four products
/// Mᵢ = Uᵢ ∗ Vᵢ (1 × 3 convolutions along the row) give
///     Y[2t] = M₀ + M₁ + M₂,  Y[2t + 1] = M₁ − M₂ − M₃                      (Aᵀm)
/// so a row pair costs 4 × 3 instead of 2 × 9 multiply-adds per channel pair (1.5× fewer). The backward
/// pass runs the transposed transforms: dM = A·dY, and the input gradient dd = B·dV added into the rows it
/// came from (rows overlap between neighbouring pairs).
///
/// Grids: per channel a guard of zeros, then per sample `tileRows` = ⌈h / 2⌉ rows of w + 1 values (the
/// last one zero: the left and right padding of the horizontal taps), then zeros to the end of the span.
/// The vertical padding lives in the transforms (rows outside the image are zero), so a plane needs no
/// zero row. Transforms `i` of channel `c` are span i·channels + c.
public enum WinogradRows {
    public struct Layout: Sendable {
        public let h: Int, w: Int, tileRows: Int, rowStride: Int, planeStride: Int, guardSize: Int, channelStride: Int
        public init(h: Int, w: Int, guardSize: Int, channelStride: Int) {
            self.h = h
            self.w = w
            tileRows = (h + 1) / 2
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
            for i in 0..<4 { (base + i * span).update(repeating: 0, count: layout.guardSize) }
            let origin = base + layout.guardSize
            for s in 0..<samples {
                let src = x + ch * sourceChannelStride + s * hw
                for t in 0..<layout.tileRows {
                    let out = origin + s * ps + t * rs
                    L.columns(w) { at in
                        let d0 = row(src, 2 * t - 1, at), d1 = row(src, 2 * t, at)
                        let d2 = row(src, 2 * t + 1, at), d3 = row(src, 2 * t + 2, at)
                        (d0 - d2).store(out + at)
                        (d1 + d2).store(out + span + at)
                        (d2 - d1).store(out + 2 * span + at)
                        (d1 - d3).store(out + 3 * span + at)
                    }
                    for i in 0..<4 { out[i * span + w] = 0 }
                }
            }
            let used = layout.guardSize + samples * ps
            for i in 0..<4 { (base + i * span + used).update(repeating: 0, count: cs - used) }
        }
    }

    /// Y[2t] = M₀ + M₁ + M₂, Y[2t + 1] = M₁ − M₂ − M₃ (the last row only where 2t + 1 < h): the valid
    /// positions of the wide products (transform i of channel ch at `m + (i·channels + ch)·wideStride`)
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
                    let src = m + ch * wideStride + s * ps + t * rs, top = dst + 2 * t * w
                    let both = 2 * t + 1 < h
                    L.columns(w) { at in
                        let m0 = L.load(src + at), m1 = L.load(src + span + at), m2 = L.load(src + 2 * span + at)
                        (m0 + m1 + m2).store(top + at)
                        if both { (m1 - m2 - L.load(src + 3 * span + at)).store(top + w + at) }
                    }
                }
            }
        }
    }

    /// dM = A·dY: dM₀ = dY[2t], dM₁ = dY[2t] + dY[2t + 1], dM₂ = dY[2t] − dY[2t + 1], dM₃ = −dY[2t + 1] (a
    /// missing last row is zero), packed like `packInput` (guard, zero columns, zeros past the samples).
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
            for i in 0..<4 { (base + i * span).update(repeating: 0, count: layout.guardSize) }
            let origin = base + layout.guardSize
            for s in 0..<samples {
                let src = dy + ch * sourceChannelStride + s * hw
                for t in 0..<layout.tileRows {
                    let out = origin + s * ps + t * rs, top = src + 2 * t * w
                    let both = 2 * t + 1 < h
                    L.columns(w) { at in
                        let g0 = L.load(top + at), g1 = both ? L.load(top + w + at) : L.zero
                        g0.store(out + at)
                        (g0 + g1).store(out + span + at)
                        (g0 - g1).store(out + 2 * span + at)
                        (-g1).store(out + 3 * span + at)
                    }
                    for i in 0..<4 { out[i * span + w] = 0 }
                }
            }
            let used = layout.guardSize + samples * ps
            for i in 0..<4 { (base + i * span + used).update(repeating: 0, count: cs - used) }
        }
    }

    /// The input gradient from dV (transform i of channel ch at `dv + (i·channels + ch)·wideStride`):
    /// dd = B·dV per row pair (dd₀ = dV₀, dd₁ = dV₁ − dV₂ + dV₃, dd₂ = −dV₀ + dV₁ + dV₂, dd₃ = −dV₃) added into
    /// input rows 2t − 1 … 2t + 2, i.e. dX[2t] = dd₁(t) + dd₃(t − 1) and dX[2t + 1] = dd₂(t) + dd₀(t + 1).
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
                    let v = plane + t * rs, even = 2 * t * w
                    let hasPrevious = t > 0, hasOdd = 2 * t + 1 < h, hasNext = t + 1 < tiles
                    L.columns(w) { at in
                        let v0 = L.load(v + at), v1 = L.load(v + span + at), v2 = L.load(v + 2 * span + at), v3 = L.load(v + 3 * span + at)
                        var g = v1 - v2 + v3
                        if hasPrevious { g = g - L.load(v - rs + 3 * span + at) }
                        if let keep { g = g.kept(where: L.load(keep + even + at)) }
                        g.store(dst + even + at)
                        if hasOdd {
                            var g = v1 + v2 - v0
                            if hasNext { g = g + L.load(v + rs + at) }
                            if let keep { g = g.kept(where: L.load(keep + even + w + at)) }
                            g.store(dst + even + w + at)
                        }
                    }
                }
            }
        }
    }
}
