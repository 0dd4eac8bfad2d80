import Foundation
import TrainerKernels

/// A 3×3, padding-1 convolution of stride 2 (the reduction blocks) or stride 1 on the AVX-512 shifted-row
/// kernels, without im2col. Stride 1 runs here only with ANASOD_TRAINER_KERNELS=shifted (and in tests):
/// by default it is `WinogradConvolution`, which builds on the same kernels with half the multiply-adds.
///
/// A chunk of samples is copied once into a *padded* buffer per channel: each row gets one zero column
/// after it and each plane one zero row below it, so every plane sits in a (h+1) × (w+1) grid whose zeros
/// serve as the left/right and top/bottom padding of its neighbours, and a guard of zeros precedes the
/// first plane. In that grid the input under kernel offset (ky, kx) at position q is simply the value at
/// q + (ky−1)(w+1) + (kx−1): the column matrix's 9·C rows are 9·C pointers into the buffer. Outputs are
/// computed at every grid position ("wide", 7 % more positions than pixels at 28 × 28) and the valid ones
/// copied out.
/// - forward: Y = W · rows(X) (`ShiftedRowKernels.product`);
/// - weight gradient: dW[o][r] = Σ_q dY[o][q] · rows(X)[r][q], with dY in the same padded grid (zeros at
///   the grid's padding positions, so they add nothing) (`rowDots`), per chunk, summed in chunk order;
/// - input gradient: Σ over taps of W[o][c][ky][kx] · dY shifted back by the tap's offset (for stride 1 the
///   same-size convolution of dY with the flipped, transposed kernel).
/// Stride 2 works on the four *phases* of the input: phase (a, b) is the output-sized plane of pixels
/// X[2y + a][2x + b]. Input row 2y + ky − 1 is phase row y − 1 of phase 1 (ky = 0), row y of phase 0
/// (ky = 1) or row y of phase 1 (ky = 2), and likewise for columns, so every tap is still a grid (a
/// phase's) at a shift; the input gradient is computed per phase from the 1, 2, 2 or 4 taps that read it
/// and written back interleaved. Odd sizes work: a phase's missing last row or column is zero.
/// Chunk sizes depend on the plane size only, so results do not depend on the thread count.
public final class ShiftedConvolution {
    /// ANASOD_TRAINER_KERNELS: unset or `auto` (on CPUs with AVX-512, Winograd F(4, 3) rows for stride 1 and
    /// shifted rows for stride 2), `shifted` (shifted rows for both), `generic` (im2col + OpenBLAS
    /// everywhere); any other value is reported and treated as `auto`.
    static let requested = ProcessInfo.processInfo.environment["ANASOD_TRAINER_KERNELS"]

    /// Whether 3×3 convolutions use these kernels by default: on CPUs with AVX-512 unless
    /// ANASOD_TRAINER_KERNELS=generic (then, as on other CPUs, im2col + OpenBLAS). The choice a network
    /// makes is its `ConvolutionKernels` (`ConvolutionKernels.environment` by default); tests compare the
    /// paths per layer.
    static let enabled = CPUFeatures.avx512 && requested != "generic"
    /// Whether stride-1 3×3 convolutions on these kernels run as `WinogradConvolution`.
    static let winogradEnabled = requested != "shifted"

    /// Which path 3×3 convolutions take in this process, and why, for logs and benchmark headers.
    public static var kernelDescription: String { describe(avx512: CPUFeatures.avx512, requested: requested) }

    static func describe(avx512: Bool, requested: String?) -> String {
        let path = !avx512 ? "im2col + OpenBLAS (no AVX-512 on this CPU)"
            : requested == "generic" ? "im2col + OpenBLAS (ANASOD_TRAINER_KERNELS=generic)"
            : requested == "shifted" ? "AVX-512 shifted rows (ANASOD_TRAINER_KERNELS=shifted)"
            : "AVX-512 Winograd F(4,3) rows (stride 1), shifted rows (stride 2)"
        guard let requested, !["generic", "auto", "shifted"].contains(requested) else { return path }
        return path + " (ANASOD_TRAINER_KERNELS=\(requested) not understood: use auto, shifted or generic)"
    }

    /// The padded grid of one plane size.
    struct Geometry {
        let h: Int, w: Int
        /// Grid row length (w + 1) and plane stride ((h + 1)(w + 1)).
        let rowStride: Int, planeStride: Int
        /// Samples per chunk: at most about 1,700 grid positions, so a chunk's rows stay in the L1/L2
        /// caches, and an even number of chunks of near-equal size, so two threads get equal shares (seven
        /// chunks of 27 samples for a 7 × 7 batch of 128 gave one thread 74 samples and the other 54). It
        /// depends on the batch only, never on the thread count: dW sums its chunks in the same order.
        let samplesPerChunk: Int
        /// Zeros before position 0 of each channel (reads reach back (w + 2) positions).
        let guardSize: Int
        /// Floats per channel in a padded buffer: guard, positions, and slack for reads past the end.
        let channelStride: Int

        init(h: Int, w: Int, samples n: Int) {
            self.h = h
            self.w = w
            rowStride = w + 1
            planeStride = (h + 1) * (w + 1)
            let most = max(1, 1728 / planeStride), chunks = (n + most - 1) / most
            samplesPerChunk = chunks <= 1 ? most : (n + (chunks + chunks % 2) - 1) / (chunks + chunks % 2)
            guardSize = Self.roundUp(w + 2, 16)
            channelStride = guardSize + Self.roundUp(samplesPerChunk * planeStride, ShiftedRowKernels.positionBlock) + guardSize
        }

        var layout: PaddedGrid.Layout { PaddedGrid.Layout(h: h, w: w, guardSize: guardSize, channelStride: channelStride) }

        /// Positions computed for a chunk of `samples` samples.
        func positions(samples: Int) -> Int { Self.roundUp(samples * planeStride, ShiftedRowKernels.positionBlock) }
        var maxPositions: Int { positions(samples: samplesPerChunk) }

        static func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }
    }

    let inChannels: Int
    let outChannels: Int
    let stride: Int
    private let padded = Scratch()
    private let paddedGradient = Scratch()
    private let wide = Scratch()
    private let rowTables = RowTables()
    /// wᵀ[r·O + o] = W[o][r], r = c·9 + ky·3 + kx: the forward weights, one row of O per column row.
    private var transposed = [Float]()
    /// Per phase, W[o][c][ky][kx] for the taps that read it, as [tap row (o, ky, kx)][c]: the input
    /// gradient's weights.
    private var phaseWeights = [[Float]]()
    private var partials = [Float]()

    /// Phases per dimension (the stride), and for kernel row (or column) k its phase and its shift in
    /// grid rows (columns).
    private var phases: Int { stride }
    @inline(__always) private func phase(_ k: Int) -> Int { stride == 1 ? 0 : (k == 1 ? 0 : 1) }
    @inline(__always) private func shift(_ k: Int) -> Int { stride == 1 ? k - 1 : (k == 0 ? -1 : 0) }
    /// The kernel rows (or columns) that read phase a.
    private func taps(_ a: Int) -> [Int] { (0..<3).filter { phase($0) == a } }

    init(inChannels: Int, outChannels: Int, stride: Int) {
        precondition(stride == 1 || stride == 2, "shifted-row convolutions have stride 1 or 2")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
    }

    /// Y = W ∗ X, or W ∗ max(X, 0) with `rectify` (the ReLU in front of a cell's convolution, fused).
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        let ho = (x.h - 1) / stride + 1, wo = (x.w - 1) / stride + 1
        let n = x.n, geo = Geometry(h: ho, w: wo, samples: n), hw = x.h * x.w, ohw = ho * wo
        let c = inChannels, o = outChannels, rows = c * 9
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        output.resize(n: n, c: o, h: ho, w: wo)
        if transposed.count != rows * o { transposed = [Float](repeating: 0, count: rows * o) }
        for oc in 0..<o { for r in 0..<rows { transposed[r * o + oc] = weights[oc * rows + r] } }
        padded.reserve(slots: threads, count: phases * phases * c * geo.channelStride)
        wide.reserve(slots: threads, count: o * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                transposed.withUnsafeBufferPointer { wt in
                    Parallel.chunks(chunks, threads: threads) { range, slot in
                        let buffer = padded[slot], table = rowTables[slot], out = wide[slot]
                        fillRows(table, buffer, channels: c, geo)
                        for chunk in range {
                            let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                            pack(xp.baseAddress! + first * hw, x, samples: samples, rectify: rectify, geo, into: buffer)
                            ShiftedRowKernels.product(weights: wt.baseAddress!, outputs: o, rows: table, rowCount: rows,
                                                      count: count, out: out, outStride: count)
                            PaddedGrid.unpack(out, wideStride: count, samples: samples, channels: o, geo.layout,
                                              into: yp.baseAddress! + first * ohw, targetChannelStride: n * ohw, mask: nil)
                        }
                    }
                }
            }
        }
    }

    /// Adds dW to `weightGradient` and writes dX into `gradInput` (shaped like `x`); with `rectify`, dX
    /// is the gradient with respect to the ReLU's input (zero where x ≤ 0).
    /// Without `computesInputGradient` only dW is computed (`gradInput` is shaped but not written).
    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor,
                  computesInputGradient: Bool) {
        let n = x.n, geo = Geometry(h: dy.h, w: dy.w, samples: n), layout = geo.layout, hw = x.h * x.w, ohw = dy.h * dy.w
        let c = inChannels, o = outChannels, rows = c * 9, wSize = o * rows
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        gradInput.resize(like: x)
        preparePhaseWeights(weights)
        if partials.count < chunks * wSize { partials = [Float](repeating: 0, count: chunks * wSize) }
        padded.reserve(slots: threads, count: phases * phases * c * geo.channelStride)
        paddedGradient.reserve(slots: threads, count: o * geo.channelStride)
        wide.reserve(slots: threads, count: phases * phases * c * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows + o * 9)
        let phaseWeights = self.phaseWeights
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    partials.withUnsafeMutableBufferPointer { pp in
                        Parallel.chunks(chunks, threads: threads) { range, slot in
                            let xBuffer = padded[slot], dyBuffer = paddedGradient[slot], out = wide[slot]
                            let xRows = rowTables[slot], dyRows = xRows + rows
                            fillRows(xRows, xBuffer, channels: c, geo)
                            for chunk in range {
                                let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                                pack(xp.baseAddress! + first * hw, x, samples: samples, rectify: rectify, geo, into: xBuffer)
                                PaddedGrid.pack(dyp.baseAddress! + first * ohw, sourceChannelStride: n * ohw, samples: samples,
                                                channels: o, rectify: false, layout, into: dyBuffer)
                                ShiftedRowKernels.rowDots(dyBuffer + geo.guardSize, dStride: geo.channelStride, outputs: o,
                                                          rows: xRows, rowCount: rows, count: count,
                                                          into: pp.baseAddress! + chunk * wSize)
                                if !computesInputGradient { continue }
                                let mask = rectify ? xp.baseAddress! + first * hw : nil, target = dxp.baseAddress! + first * hw
                                for p in 0..<(phases * phases) {
                                    let a = p / phases, b = p % phases
                                    let tapRows = fillGradientRows(dyRows, dyBuffer, outputs: o, a: a, b: b, geo)
                                    phaseWeights[p].withUnsafeBufferPointer { wp in
                                        ShiftedRowKernels.product(weights: wp.baseAddress!, outputs: c, rows: dyRows, rowCount: tapRows,
                                                                  count: count, out: out + p * c * count, outStride: count)
                                    }
                                }
                                if stride == 1 {
                                    PaddedGrid.unpack(out, wideStride: count, samples: samples, channels: c, layout, into: target,
                                                      targetChannelStride: n * hw, mask: mask)
                                } else {
                                    PaddedGrid.unpackPhases(out, wideStride: count, targetH: x.h, targetW: x.w, samples: samples,
                                                            channels: c, layout, into: target, targetChannelStride: n * hw, mask: mask)
                                }
                            }
                        }
                    }
                }
            }
        }
        // dW += the chunks' partial gradients, in chunk order (the same sums whatever the thread count).
        Elementwise.addChunks(partials, chunks: chunks, size: wSize, into: &weightGradient)
    }

    /// Packs `samples` samples of the input (its first plane at `x`) into the grid: as they are for stride
    /// 1, as four phase grids per channel (channel c's phase (a, b) is grid 4c + 2a + b) for stride 2.
    private func pack(_ x: UnsafePointer<Float>, _ input: Tensor, samples: Int, rectify: Bool, _ geo: Geometry,
                      into buffer: UnsafeMutablePointer<Float>) {
        let channelStride = input.n * input.h * input.w
        if stride == 1 {
            PaddedGrid.pack(x, sourceChannelStride: channelStride, samples: samples, channels: inChannels, rectify: rectify, geo.layout,
                            into: buffer)
        } else {
            PaddedGrid.packPhases(x, sourceChannelStride: channelStride, sourceH: input.h, sourceW: input.w, samples: samples,
                                  channels: inChannels, rectify: rectify, geo.layout, into: buffer)
        }
    }

    /// Row c·9 + ky·3 + kx of the implicit column matrix: the grid of channel c's phase (phase(ky),
    /// phase(kx)) shifted by (shift(ky), shift(kx)).
    private func fillRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                          channels: Int, _ geo: Geometry) {
        for ch in 0..<channels {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let grid = (ch * phases + phase(ky)) * phases + phase(kx)
                    let origin = UnsafePointer(buffer + grid * geo.channelStride + geo.guardSize)
                    table[ch * 9 + ky * 3 + kx] = origin + shift(ky) * geo.rowStride + shift(kx)
                }
            }
        }
    }

    /// The rows of phase (a, b)'s input gradient, in `phaseWeights` order (o, ky, kx): dY's grid of channel
    /// o shifted by (−shift(ky), −shift(kx)). Returns their number.
    private func fillGradientRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                                  outputs: Int, a: Int, b: Int, _ geo: Geometry) -> Int {
        var r = 0
        for oc in 0..<outputs {
            let origin = UnsafePointer(buffer + oc * geo.channelStride + geo.guardSize)
            for ky in taps(a) {
                for kx in taps(b) {
                    table[r] = origin - shift(ky) * geo.rowStride - shift(kx)
                    r += 1
                }
            }
        }
        return r
    }

    /// Fills `phaseWeights` from the current weights.
    private func preparePhaseWeights(_ weights: [Float]) {
        let c = inChannels
        if phaseWeights.count != phases * phases { phaseWeights = Array(repeating: [], count: phases * phases) }
        for p in 0..<(phases * phases) {
            let kys = taps(p / phases), kxs = taps(p % phases), tapRows = outChannels * kys.count * kxs.count
            if phaseWeights[p].count != tapRows * c { phaseWeights[p] = [Float](repeating: 0, count: tapRows * c) }
            phaseWeights[p].withUnsafeMutableBufferPointer { pw in
                var r = 0
                for oc in 0..<outChannels {
                    for ky in kys {
                        for kx in kxs {
                            for ic in 0..<c { pw[r * c + ic] = weights[(oc * c + ic) * 9 + ky * 3 + kx] }
                            r += 1
                        }
                    }
                }
            }
        }
    }
}
