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
    /// (`layout.h × layout.w`), 0 where 2y + a or 2x + b falls outside the plane (odd sizes). Each source
    /// row is split into its even and odd columns in one pass (`splitRow`).
    @inline(never)
    public static func packPhases(_ x: UnsafePointer<Float>, sourceChannelStride: Int, sourceH: Int, sourceW: Int, samples: Int,
                                  channels: Int, rectify: Bool, _ layout: Layout, into buffer: UnsafeMutablePointer<Float>) {
        let h = layout.h, w = layout.w, rs = layout.rowStride, ps = layout.planeStride, hw = sourceH * sourceW
        let used = layout.guardSize + samples * ps
        for ch in 0..<channels {
            for phase in 0..<4 {
                let span = buffer + (ch * 4 + phase) * layout.channelStride
                span.update(repeating: 0, count: layout.guardSize)
                (span + used).update(repeating: 0, count: layout.channelStride - used)
            }
            for a in 0..<2 {
                let even = buffer + (ch * 4 + 2 * a) * layout.channelStride + layout.guardSize
                let odd = even + layout.channelStride
                for s in 0..<samples {
                    let src = x + ch * sourceChannelStride + s * hw
                    for y in 0..<h {
                        let at = s * ps + y * rs, sy = 2 * y + a
                        if sy >= sourceH {
                            (even + at).update(repeating: 0, count: rs)
                            (odd + at).update(repeating: 0, count: rs)
                        } else {
                            splitRow(src + sy * sourceW, sourceW, even: even + at, odd: odd + at, w, rectify: rectify)
                        }
                    }
                    (even + s * ps + h * rs).update(repeating: 0, count: rs)
                    (odd + s * ps + h * rs).update(repeating: 0, count: rs)
                }
            }
        }
    }

    /// even[i] = line[2i], odd[i] = line[2i + 1] (max(·, 0) with `rectify`), both rows zero from their last
    /// value through index w (the grid's zero column); w = ⌈n / 2⌉.
    @inline(__always)
    static func splitRow(_ line: UnsafePointer<Float>, _ n: Int, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
                         _ w: Int, rectify: Bool) {
        split(line, n, even: even, odd: odd, rectify: rectify)
        for i in ((n + 1) / 2)...w { even[i] = 0 }
        for i in (n / 2)...w { odd[i] = 0 }
    }

    /// even[i] = line[2i] for i < ⌈n / 2⌉, odd[i] = line[2i + 1] for i < ⌊n / 2⌋ (max(·, 0) with `rectify`);
    /// nothing else is written.
    @inline(__always)
    static func split(_ line: UnsafePointer<Float>, _ n: Int, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
                      rectify: Bool) {
        let pairs = n / 2
        if pairs >= 8 {
            var i = 0
            while i < pairs {
                let at = min(i, pairs - 8)
                var v = UnsafeRawPointer(line + 2 * at).loadUnaligned(as: SIMD16<Float>.self)
                if rectify { v = v.replacing(with: 0, where: v .< 0) }
                UnsafeMutableRawPointer(even + at).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(odd + at).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                i += 8
            }
        } else if pairs >= 4 {
            var i = 0
            while i < pairs {
                let at = min(i, pairs - 4)
                var v = UnsafeRawPointer(line + 2 * at).loadUnaligned(as: SIMD8<Float>.self)
                if rectify { v = v.replacing(with: 0, where: v .< 0) }
                UnsafeMutableRawPointer(even + at).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(odd + at).storeBytes(of: v.oddHalf, as: SIMD4<Float>.self)
                i += 4
            }
        } else {
            for i in 0..<pairs {
                even[i] = rectify ? max(line[2 * i], 0) : line[2 * i]
                odd[i] = rectify ? max(line[2 * i + 1], 0) : line[2 * i + 1]
            }
        }
        if n % 2 == 1 { even[pairs] = rectify ? max(line[n - 1], 0) : line[n - 1] }
    }

    /// Writes the four phases of a wide result (phase p = 2a + b of channel ch at
    /// `wide + (p·channels + ch)·wideStride`, positions on the output-size grid) into the full-size
    /// channel-major planes: y[ch][2i + a][2j + b] = phase (a, b) at i·rowStride + j, kept only where
    /// `mask` (laid out like the target) is positive when one is given. Each target row is one pass that
    /// interleaves its two phases.
    @inline(never)
    public static func unpackPhases(_ wide: UnsafePointer<Float>, wideStride: Int, targetH: Int, targetW: Int, samples: Int, channels: Int,
                                    _ layout: Layout, into y: UnsafeMutablePointer<Float>, targetChannelStride: Int,
                                    mask: UnsafePointer<Float>?) {
        let rs = layout.rowStride, ps = layout.planeStride, hw = targetH * targetW, span = channels * wideStride
        for ch in 0..<channels {
            for s in 0..<samples {
                let offset = ch * targetChannelStride + s * hw
                for row in 0..<targetH {
                    let a = row & 1, i = row >> 1
                    let even = wide + (2 * a * channels + ch) * wideStride + s * ps + i * rs, odd = even + span
                    let at = offset + row * targetW
                    mergeRow(even, odd, targetW, into: y + at, mask: mask.map { $0 + at })
                }
            }
        }
    }

    /// line[2i] = even[i], line[2i + 1] = odd[i] for the n values of a row (0 where mask ≤ 0).
    @inline(__always)
    static func mergeRow(_ even: UnsafePointer<Float>, _ odd: UnsafePointer<Float>, _ n: Int, into line: UnsafeMutablePointer<Float>,
                         mask: UnsafePointer<Float>?) {
        let pairs = n / 2
        if pairs >= 8 {
            var i = 0
            while i < pairs {
                let at = min(i, pairs - 8)
                var v = SIMD16<Float>()
                v.evenHalf = UnsafeRawPointer(even + at).loadUnaligned(as: SIMD8<Float>.self)
                v.oddHalf = UnsafeRawPointer(odd + at).loadUnaligned(as: SIMD8<Float>.self)
                if let mask { v = v.replacing(with: 0, where: UnsafeRawPointer(mask + 2 * at).loadUnaligned(as: SIMD16<Float>.self) .<= 0) }
                UnsafeMutableRawPointer(line + 2 * at).storeBytes(of: v, as: SIMD16<Float>.self)
                i += 8
            }
        } else if pairs >= 4 {
            var i = 0
            while i < pairs {
                let at = min(i, pairs - 4)
                var v = SIMD8<Float>()
                v.evenHalf = UnsafeRawPointer(even + at).loadUnaligned(as: SIMD4<Float>.self)
                v.oddHalf = UnsafeRawPointer(odd + at).loadUnaligned(as: SIMD4<Float>.self)
                if let mask { v = v.replacing(with: 0, where: UnsafeRawPointer(mask + 2 * at).loadUnaligned(as: SIMD8<Float>.self) .<= 0) }
                UnsafeMutableRawPointer(line + 2 * at).storeBytes(of: v, as: SIMD8<Float>.self)
                i += 4
            }
        } else {
            for i in 0..<pairs {
                line[2 * i] = even[i]
                line[2 * i + 1] = odd[i]
                if let mask {
                    if !(mask[2 * i] > 0) { line[2 * i] = 0 }
                    if !(mask[2 * i + 1] > 0) { line[2 * i + 1] = 0 }
                }
            }
        }
        if n % 2 == 1 {
            var v = even[pairs]
            if let mask, !(mask[n - 1] > 0) { v = 0 }
            line[n - 1] = v
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
