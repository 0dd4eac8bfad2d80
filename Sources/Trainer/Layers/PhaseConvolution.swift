import TrainerKernels

/// A 3×3, stride-2, padding-1 convolution (the first convolution of NB201's reduction blocks) on the
/// AVX-512 shifted-row kernels, through the four *phases* of its input: phase (a, b) is the plane of
/// pixels X[2y + a][2x + b], an output-sized plane. Input row 2y + ky − 1 is phase row y − 1 of phase 1
/// (ky = 0), row y of phase 0 (ky = 1) or row y of phase 1 (ky = 2), and likewise for columns, so each
/// of the 9·C column rows is a phase's padded grid (`ShiftedConvolution`'s layout, at the output size)
/// shifted by 0 or −1 row and column:
/// - forward: Y = W · rows(phases of X); weight gradient: dW = dY · rows(...)ᵀ (`rowDots`);
/// - input gradient, per phase (a, b): dX_ab = Σ over the kernel taps that read phase (a, b) of
///   W[o][c][ky][kx] · dY shifted by 0 or +1 row and column (1, 2, 2 or 4 taps a phase: 9 in all),
///   written back interleaved (with the fused ReLU's mask).
/// Odd input sizes work too: a phase's missing last row or column is zero.
final class PhaseConvolution {
    let inChannels: Int
    let outChannels: Int
    private let padded = Scratch()
    private let paddedGradient = Scratch()
    private let wide = Scratch()
    private let rowTables = RowTables()
    /// wᵀ[r·O + o] = W[o][r], r = c·9 + ky·3 + kx.
    private var transposed = [Float]()
    /// Per phase, W[o][c][ky][kx] for its taps, as [tap row (o, ky, kx)][c].
    private var phaseWeights: [[Float]] = [[], [], [], []]
    private var partials = [Float]()

    /// The kernel rows (or columns) that read phase 0 and phase 1, and each one's shift in phase rows.
    private static let taps = [[1], [0, 2]]
    @inline(__always) private static func phase(_ k: Int) -> Int { k == 1 ? 0 : 1 }
    @inline(__always) private static func shift(_ k: Int) -> Int { k == 0 ? -1 : 0 }

    init(inChannels: Int, outChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// Y = W ∗ X (stride 2), or W ∗ max(X, 0) with `rectify`.
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        let ho = (x.h + 1) / 2, wo = (x.w + 1) / 2
        let geo = ShiftedConvolution.Geometry(h: ho, w: wo), layout = geo.layout, n = x.n, hw = x.h * x.w
        let c = inChannels, o = outChannels, rows = c * 9
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        output.resize(n: n, c: o, h: ho, w: wo)
        if transposed.count != rows * o { transposed = [Float](repeating: 0, count: rows * o) }
        for oc in 0..<o { for r in 0..<rows { transposed[r * o + oc] = weights[oc * rows + r] } }
        padded.reserve(slots: threads, count: 4 * c * geo.channelStride)
        wide.reserve(slots: threads, count: o * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                transposed.withUnsafeBufferPointer { wt in
                    Parallel.chunks(chunks, threads: threads) { range, slot in
                        let buffer = padded[slot], table = rowTables[slot], out = wide[slot]
                        Self.fillPhaseRows(table, buffer, channels: c, geo)
                        for chunk in range {
                            let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                            PaddedGrid.packPhases(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, sourceH: x.h,
                                                  sourceW: x.w, samples: samples, channels: c, rectify: rectify, layout, into: buffer)
                            ShiftedRowKernels.product(weights: wt.baseAddress!, outputs: o, rows: table, rowCount: rows,
                                                      count: count, out: out, outStride: count)
                            PaddedGrid.unpack(out, wideStride: count, samples: samples, channels: o, layout,
                                              into: yp.baseAddress! + first * ho * wo, targetChannelStride: n * ho * wo, mask: nil)
                        }
                    }
                }
            }
        }
    }

    /// Adds dW to `weightGradient` and, with `computesInputGradient`, writes dX into `gradInput` (shaped
    /// like `x`; with `rectify`, the gradient with respect to the ReLU's input).
    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor,
                  computesInputGradient: Bool) {
        let ho = dy.h, wo = dy.w
        let geo = ShiftedConvolution.Geometry(h: ho, w: wo), layout = geo.layout, n = x.n, hw = x.h * x.w, ohw = ho * wo
        let c = inChannels, o = outChannels, rows = c * 9, wSize = o * rows
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        gradInput.resize(like: x)
        for phase in 0..<4 {
            let kys = Self.taps[phase >> 1], kxs = Self.taps[phase & 1], tapRows = o * kys.count * kxs.count
            if phaseWeights[phase].count != tapRows * c { phaseWeights[phase] = [Float](repeating: 0, count: tapRows * c) }
            var r = 0
            for oc in 0..<o {
                for ky in kys {
                    for kx in kxs {
                        for ic in 0..<c { phaseWeights[phase][r * c + ic] = weights[(oc * c + ic) * 9 + ky * 3 + kx] }
                        r += 1
                    }
                }
            }
        }
        if partials.count < chunks * wSize { partials = [Float](repeating: 0, count: chunks * wSize) }
        padded.reserve(slots: threads, count: 4 * c * geo.channelStride)
        paddedGradient.reserve(slots: threads, count: o * geo.channelStride)
        wide.reserve(slots: threads, count: c * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows + 4 * o)
        let phaseWeights = self.phaseWeights
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    partials.withUnsafeMutableBufferPointer { pp in
                        Parallel.chunks(chunks, threads: threads) { range, slot in
                            let xBuffer = padded[slot], dyBuffer = paddedGradient[slot], out = wide[slot]
                            let xRows = rowTables[slot], dyRows = xRows + rows
                            Self.fillPhaseRows(xRows, xBuffer, channels: c, geo)
                            for chunk in range {
                                let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                                PaddedGrid.packPhases(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, sourceH: x.h,
                                                      sourceW: x.w, samples: samples, channels: c, rectify: rectify, layout,
                                                      into: xBuffer)
                                PaddedGrid.pack(dyp.baseAddress! + first * ohw, sourceChannelStride: n * ohw, samples: samples,
                                                channels: o, rectify: false, layout, into: dyBuffer)
                                ShiftedRowKernels.rowDots(dyBuffer + geo.guardSize, dStride: geo.channelStride, outputs: o,
                                                          rows: xRows, rowCount: rows, count: count,
                                                          into: pp.baseAddress! + chunk * wSize)
                                if !computesInputGradient { continue }
                                for phase in 0..<4 {
                                    let a = phase >> 1, b = phase & 1
                                    let tapRows = Self.fillGradientRows(dyRows, dyBuffer, outputs: o, a: a, b: b, geo)
                                    phaseWeights[phase].withUnsafeBufferPointer { wp in
                                        ShiftedRowKernels.product(weights: wp.baseAddress!, outputs: c, rows: dyRows, rowCount: tapRows,
                                                                  count: count, out: out, outStride: count)
                                    }
                                    PaddedGrid.unpackPhase(out, wideStride: count, a: a, b: b, targetH: x.h, targetW: x.w,
                                                           samples: samples, channels: c, layout, into: dxp.baseAddress! + first * hw,
                                                           targetChannelStride: n * hw, mask: rectify ? xp.baseAddress! + first * hw : nil)
                                }
                            }
                        }
                    }
                }
            }
        }
        Elementwise.addChunks(partials, chunks: chunks, size: wSize, into: &weightGradient)
    }

    /// Row c·9 + ky·3 + kx: the grid of phase (phase(ky), phase(kx)) of channel c, shifted by
    /// (shift(ky), shift(kx)).
    private static func fillPhaseRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                                      channels: Int, _ geo: ShiftedConvolution.Geometry) {
        for ch in 0..<channels {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let grid = UnsafePointer(buffer + (ch * 4 + phase(ky) * 2 + phase(kx)) * geo.channelStride + geo.guardSize)
                    table[ch * 9 + ky * 3 + kx] = grid + shift(ky) * geo.rowStride + shift(kx)
                }
            }
        }
    }

    /// The rows of phase (a, b)'s input gradient, in `phaseWeights` order (o, ky, kx): dY's grid of channel
    /// o shifted by (−shift(ky), −shift(kx)). Returns their number.
    private static func fillGradientRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                                         outputs: Int, a: Int, b: Int, _ geo: ShiftedConvolution.Geometry) -> Int {
        var r = 0
        for oc in 0..<outputs {
            let grid = UnsafePointer(buffer + oc * geo.channelStride + geo.guardSize)
            for ky in taps[a] {
                for kx in taps[b] {
                    table[r] = grid - shift(ky) * geo.rowStride - shift(kx)
                    r += 1
                }
            }
        }
        return r
    }
}
