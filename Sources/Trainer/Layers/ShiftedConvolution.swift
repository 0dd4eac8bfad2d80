import Foundation
import TrainerKernels

/// A 3×3, stride-1, padding-1 convolution (every 3×3 convolution inside an NB201 cell, and the stem) on the
/// AVX-512 shifted-row kernels, without im2col.
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
/// - input gradient: the same-size convolution of dY with the flipped, transposed kernel, on dY's rows.
/// Chunk sizes depend on the plane size only, so results do not depend on the thread count.
public final class ShiftedConvolution {
    /// Whether 3×3 same-size convolutions use these kernels: on CPUs with AVX-512, unless the environment
    /// sets ANASOD_TRAINER_KERNELS=generic (then, as on other CPUs, im2col + OpenBLAS). Tests compare the
    /// two paths per layer (`Conv2D.allowsShiftedKernels`).
    static let enabled = CPUFeatures.avx512
        && ProcessInfo.processInfo.environment["ANASOD_TRAINER_KERNELS"] != "generic"

    /// Which path 3×3 convolutions take in this process, and why, for logs and benchmark headers.
    public static var kernelDescription: String {
        if enabled { return "AVX-512 shifted rows" }
        return CPUFeatures.avx512 ? "im2col + OpenBLAS (ANASOD_TRAINER_KERNELS=generic)" : "im2col + OpenBLAS (no AVX-512 on this CPU)"
    }

    /// The padded grid of one plane size.
    struct Geometry {
        let h: Int, w: Int
        /// Grid row length (w + 1) and plane stride ((h + 1)(w + 1)).
        let rowStride: Int, planeStride: Int
        /// Samples per chunk: about 1,700 grid positions, so a chunk's rows stay in the L1/L2 caches.
        let samplesPerChunk: Int
        /// Zeros before position 0 of each channel (reads reach back (w + 2) positions).
        let guardSize: Int
        /// Floats per channel in a padded buffer: guard, positions, and slack for reads past the end.
        let channelStride: Int

        init(h: Int, w: Int) {
            self.h = h
            self.w = w
            rowStride = w + 1
            planeStride = (h + 1) * (w + 1)
            samplesPerChunk = max(1, 1728 / planeStride)
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
    private let padded = Scratch()
    private let paddedGradient = Scratch()
    private let wide = Scratch()
    private let rowTables = RowTables()
    /// wᵀ[r·O + o] = W[o][r], r = c·9 + ky·3 + kx: the forward weights, one row of O per column row.
    private var transposed = [Float]()
    /// W̃[(o·9 + j)·C + c] = W[o][c][8 − j]: the input gradient's weights.
    private var flipped = [Float]()
    private var partials = [Float]()

    init(inChannels: Int, outChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// Y = W ∗ X, or W ∗ max(X, 0) with `rectify` (the ReLU in front of a cell's convolution, fused).
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        let geo = Geometry(h: x.h, w: x.w), layout = geo.layout, n = x.n, hw = x.h * x.w
        let c = inChannels, o = outChannels, rows = c * 9
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        output.resize(n: n, c: o, h: x.h, w: x.w)
        if transposed.count != rows * o { transposed = [Float](repeating: 0, count: rows * o) }
        for oc in 0..<o { for r in 0..<rows { transposed[r * o + oc] = weights[oc * rows + r] } }
        padded.reserve(slots: threads, count: c * geo.channelStride)
        wide.reserve(slots: threads, count: o * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                transposed.withUnsafeBufferPointer { wt in
                    Parallel.chunks(chunks, threads: threads) { range, slot in
                        let buffer = padded[slot], table = rowTables[slot], out = wide[slot]
                        for chunk in range {
                            let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                            PaddedGrid.pack(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, samples: samples,
                                            channels: c, rectify: rectify, layout, into: buffer)
                            Self.fillRows(table, buffer, channels: c, geo)
                            ShiftedRowKernels.product(weights: wt.baseAddress!, outputs: o, rows: table, rowCount: rows,
                                                      count: count, out: out, outStride: count)
                            PaddedGrid.unpack(out, wideStride: count, samples: samples, channels: o, layout,
                                              into: yp.baseAddress! + first * hw, targetChannelStride: n * hw, mask: nil)
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
        let geo = Geometry(h: x.h, w: x.w), layout = geo.layout, n = x.n, hw = x.h * x.w
        let c = inChannels, o = outChannels, rows = c * 9, gradientRows = o * 9, wSize = o * rows
        let g = geo.samplesPerChunk, chunks = (n + g - 1) / g, threads = Parallel.threads
        gradInput.resize(like: x)
        if flipped.count != wSize { flipped = [Float](repeating: 0, count: wSize) }
        for oc in 0..<o {
            for ic in 0..<c {
                for j in 0..<9 { flipped[(oc * 9 + j) * c + ic] = weights[(oc * c + ic) * 9 + (8 - j)] }
            }
        }
        if partials.count < chunks * wSize { partials = [Float](repeating: 0, count: chunks * wSize) }
        padded.reserve(slots: threads, count: c * geo.channelStride)
        paddedGradient.reserve(slots: threads, count: o * geo.channelStride)
        wide.reserve(slots: threads, count: c * geo.maxPositions)
        rowTables.reserve(slots: threads, count: rows + gradientRows)
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    flipped.withUnsafeBufferPointer { wf in
                        partials.withUnsafeMutableBufferPointer { pp in
                            Parallel.chunks(chunks, threads: threads) { range, slot in
                                let xBuffer = padded[slot], dyBuffer = paddedGradient[slot], out = wide[slot]
                                let xRows = rowTables[slot], dyRows = xRows + rows
                                for chunk in range {
                                    let first = chunk * g, samples = min(g, n - first), count = geo.positions(samples: samples)
                                    PaddedGrid.pack(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, samples: samples,
                                                    channels: c, rectify: rectify, layout, into: xBuffer)
                                    PaddedGrid.pack(dyp.baseAddress! + first * hw, sourceChannelStride: n * hw, samples: samples,
                                                    channels: o, rectify: false, layout, into: dyBuffer)
                                    Self.fillRows(xRows, xBuffer, channels: c, geo)
                                    Self.fillRows(dyRows, dyBuffer, channels: o, geo)
                                    ShiftedRowKernels.rowDots(dyBuffer + geo.guardSize, dStride: geo.channelStride, outputs: o,
                                                              rows: xRows, rowCount: rows, count: count,
                                                              into: pp.baseAddress! + chunk * wSize)
                                    if !computesInputGradient { continue }
                                    ShiftedRowKernels.product(weights: wf.baseAddress!, outputs: c, rows: dyRows, rowCount: gradientRows,
                                                              count: count, out: out, outStride: count)
                                    PaddedGrid.unpack(out, wideStride: count, samples: samples, channels: c, layout,
                                                      into: dxp.baseAddress! + first * hw, targetChannelStride: n * hw,
                                                      mask: rectify ? xp.baseAddress! + first * hw : nil)
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

    /// Row c·9 + ky·3 + kx of the implicit column matrix: channel c's grid shifted by (ky − 1, kx − 1).
    private static func fillRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                                 channels: Int, _ geo: Geometry) {
        for ch in 0..<channels {
            let origin = UnsafePointer(buffer + ch * geo.channelStride + geo.guardSize)
            for ky in 0..<3 {
                for kx in 0..<3 { table[ch * 9 + ky * 3 + kx] = origin + (ky - 1) * geo.rowStride + (kx - 1) }
            }
        }
    }
}
