/// Copies between channel-major activations (C × N × H × W) and the padded grid of the shifted-row
/// kernels: per channel a guard of zeros, then each sample's plane as (h + 1) rows of (w + 1) values,
/// the last column and the last row zero, then zeros to the end of the channel's span. Compiled with
/// the kernels (AVX-512), so the row copies vectorise wide.
public enum PaddedGrid {
    /// The grid's layout: `rowStride` = w + 1, `planeStride` = (h + 1)(w + 1), `guardSize` zeros before
    /// position 0 of each channel, `channelStride` floats per channel.
    public struct Layout: Sendable {
        public let h: Int, w: Int, rowStride: Int, planeStride: Int, guardSize: Int, channelStride: Int
        public init(h: Int, w: Int, guardSize: Int, channelStride: Int) {
            self.h = h
            self.w = w
            rowStride = w + 1
            planeStride = (h + 1) * (w + 1)
            self.guardSize = guardSize
            self.channelStride = channelStride
        }
    }

    /// Packs `samples` planes of each of `channels` channels: channel ch's first plane at
    /// `x + ch·sourceChannelStride`, planes h·w apart. `rectify` stores max(x, 0) (a ReLU in front of the
    /// convolution, fused into the copy).
    @inline(never)
    public static func pack(_ x: UnsafePointer<Float>, sourceChannelStride: Int, samples: Int, channels: Int, rectify: Bool,
                            _ layout: Layout, into buffer: UnsafeMutablePointer<Float>) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride
        for ch in 0..<channels {
            let span = buffer + ch * layout.channelStride
            span.update(repeating: 0, count: layout.guardSize)
            let base = span + layout.guardSize
            for s in 0..<samples {
                let src = x + ch * sourceChannelStride + s * hw, plane = base + s * ps
                for y in 0..<h {
                    let row = plane + y * rs
                    copyRow(src + y * w, row, w, rectify: rectify, mask: nil)
                    row[w] = 0
                }
                (plane + h * rs).update(repeating: 0, count: rs)
            }
            let used = layout.guardSize + samples * ps
            (span + used).update(repeating: 0, count: layout.channelStride - used)
        }
    }

    /// Copies the valid positions of a wide result (`channels` rows of `wideStride` grid positions) into
    /// channel-major planes (channel ch's first at `y + ch·targetChannelStride`). With `mask` (laid out
    /// like the target), a value is kept only where the mask is positive: the gradient through a fused ReLU.
    @inline(never)
    public static func unpack(_ wide: UnsafePointer<Float>, wideStride: Int, samples: Int, channels: Int, _ layout: Layout,
                              into y: UnsafeMutablePointer<Float>, targetChannelStride: Int, mask: UnsafePointer<Float>?) {
        let h = layout.h, w = layout.w, hw = h * w, rs = layout.rowStride, ps = layout.planeStride
        for ch in 0..<channels {
            for s in 0..<samples {
                let src = wide + ch * wideStride + s * ps, offset = ch * targetChannelStride + s * hw
                let dst = y + offset, keep = mask.map { $0 + offset }
                for row in 0..<h {
                    copyRow(src + row * rs, dst + row * w, w, rectify: false, mask: keep.map { $0 + row * w })
                }
            }
        }
    }

    /// Packs the four stride-2 phases of `samples` planes of size `sourceH × sourceW` per channel: grid
    /// channel 4·ch + 2a + b holds X[ch][2y + a][2x + b] at (y, x) of a grid laid out for the output size
    /// (`layout.h × layout.w`), 0 where 2y + a or 2x + b falls outside the plane (odd sizes).
    @inline(never)
    public static func packPhases(_ x: UnsafePointer<Float>, sourceChannelStride: Int, sourceH: Int, sourceW: Int, samples: Int,
                                  channels: Int, rectify: Bool, _ layout: Layout, into buffer: UnsafeMutablePointer<Float>) {
        let h = layout.h, w = layout.w, rs = layout.rowStride, ps = layout.planeStride, hw = sourceH * sourceW
        for ch in 0..<channels {
            for phase in 0..<4 {
                let a = phase >> 1, b = phase & 1
                let span = buffer + (ch * 4 + phase) * layout.channelStride
                span.update(repeating: 0, count: layout.guardSize)
                let base = span + layout.guardSize
                for s in 0..<samples {
                    let src = x + ch * sourceChannelStride + s * hw, plane = base + s * ps
                    for y in 0..<h {
                        let row = plane + y * rs, sy = 2 * y + a
                        if sy >= sourceH {
                            row.update(repeating: 0, count: w)
                        } else {
                            let line = src + sy * sourceW + b, valid = (sourceW - b + 1) / 2
                            if rectify {
                                for i in 0..<valid { row[i] = max(line[2 * i], 0) }
                            } else {
                                for i in 0..<valid { row[i] = line[2 * i] }
                            }
                            for i in valid..<w { row[i] = 0 }
                        }
                        row[w] = 0
                    }
                    (plane + h * rs).update(repeating: 0, count: rs)
                }
                let used = layout.guardSize + samples * ps
                (span + used).update(repeating: 0, count: layout.channelStride - used)
            }
        }
    }

    /// Writes phase (a, b) of a wide result (`channels` rows of `wideStride` positions on the output-size
    /// grid) into the full-size channel-major planes: y[ch][2i + a][2j + b] = wide[ch][i·rowStride + j],
    /// kept only where `mask` (laid out like the target) is positive when one is given.
    @inline(never)
    public static func unpackPhase(_ wide: UnsafePointer<Float>, wideStride: Int, a: Int, b: Int, targetH: Int, targetW: Int,
                                   samples: Int, channels: Int, _ layout: Layout, into y: UnsafeMutablePointer<Float>,
                                   targetChannelStride: Int, mask: UnsafePointer<Float>?) {
        let rs = layout.rowStride, ps = layout.planeStride, hw = targetH * targetW
        let rows = (targetH - a + 1) / 2, cols = (targetW - b + 1) / 2
        for ch in 0..<channels {
            for s in 0..<samples {
                let src = wide + ch * wideStride + s * ps, offset = ch * targetChannelStride + s * hw
                for i in 0..<rows {
                    let from = src + i * rs, at = offset + (2 * i + a) * targetW + b
                    let to = y + at
                    if let mask {
                        let keep = mask + at
                        for j in 0..<cols { to[2 * j] = keep[2 * j] > 0 ? from[j] : 0 }
                    } else {
                        for j in 0..<cols { to[2 * j] = from[j] }
                    }
                }
            }
        }
    }

    /// dst[i] = src[i] (max(src[i], 0) with `rectify`; 0 where mask[i] ≤ 0) for i in 0..<w, in the widest
    /// vectors that fit, the last one overlapping the one before instead of a scalar tail (rows are short:
    /// 28, 14 or 7 values). One function per width: a single generic one over `SIMD` ran 2× slower (it
    /// was not specialised).
    @inline(__always)
    static func copyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ w: Int, rectify: Bool,
                        mask: UnsafePointer<Float>?) {
        if w >= 16 {
            copyRow16(src, dst, w, rectify, mask)
        } else if w >= 8 {
            copyRow8(src, dst, w, rectify, mask)
        } else if w >= 4 {
            copyRow4(src, dst, w, rectify, mask)
        } else {
            for i in 0..<w {
                var v = rectify ? max(src[i], 0) : src[i]
                if let mask, !(mask[i] > 0) { v = 0 }
                dst[i] = v
            }
        }
    }

    @inline(__always)
    private static func copyRow16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ w: Int, _ rectify: Bool,
                                   _ mask: UnsafePointer<Float>?) {
        typealias V = SIMD16<Float>
        var i = 0
        while i < w {
            let at = min(i, w - 16)
            var v = UnsafeRawPointer(src + at).loadUnaligned(as: V.self)
            if rectify { v = v.replacing(with: 0, where: v .< 0) }
            if let mask { v = v.replacing(with: 0, where: UnsafeRawPointer(mask + at).loadUnaligned(as: V.self) .<= 0) }
            UnsafeMutableRawPointer(dst + at).storeBytes(of: v, as: V.self)
            i += 16
        }
    }

    @inline(__always)
    private static func copyRow8(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ w: Int, _ rectify: Bool,
                                   _ mask: UnsafePointer<Float>?) {
        typealias V = SIMD8<Float>
        var i = 0
        while i < w {
            let at = min(i, w - 8)
            var v = UnsafeRawPointer(src + at).loadUnaligned(as: V.self)
            if rectify { v = v.replacing(with: 0, where: v .< 0) }
            if let mask { v = v.replacing(with: 0, where: UnsafeRawPointer(mask + at).loadUnaligned(as: V.self) .<= 0) }
            UnsafeMutableRawPointer(dst + at).storeBytes(of: v, as: V.self)
            i += 8
        }
    }

    @inline(__always)
    private static func copyRow4(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ w: Int, _ rectify: Bool,
                                   _ mask: UnsafePointer<Float>?) {
        typealias V = SIMD4<Float>
        var i = 0
        while i < w {
            let at = min(i, w - 4)
            var v = UnsafeRawPointer(src + at).loadUnaligned(as: V.self)
            if rectify { v = v.replacing(with: 0, where: v .< 0) }
            if let mask { v = v.replacing(with: 0, where: UnsafeRawPointer(mask + at).loadUnaligned(as: V.self) .<= 0) }
            UnsafeMutableRawPointer(dst + at).storeBytes(of: v, as: V.self)
            i += 4
        }
    }
}
