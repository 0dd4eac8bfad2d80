import TrainerKernels

/// A 3×3, padding-1, stride-1 convolution (every 3×3 convolution inside an NB201 cell) as Winograd
/// F(4, 3) down the columns and shifted rows along them, on the AVX-512 kernels: 18 instead of 36
/// multiply-adds per four output rows and channel pair, in the forward pass, the weight gradient and
/// the input gradient alike.
///
/// Per block of samples, each group of four output rows gets six transformed input rows Vᵢ
/// (`WinogradRows.packInput`, with a fused ReLU), which sit in a padded grid like `ShiftedConvolution`'s
/// (one zero column per row), so the 1 × 3 convolution of transform i is a product with 3·C shifted rows:
/// - forward: Mᵢ = Uᵢ · rows(Vᵢ) (`ShiftedRowKernels.product`, Uᵢ = G-transformed kernel rows), then
///   Y = AᵀM (`unpackOutput`);
/// - weight gradient: dMᵢ = (A·dY)ᵢ (`packGradient`), dUᵢ = Σ_q dMᵢ[q] · rows(Vᵢ)[q] (`rowDots`) per
///   chunk, summed in chunk order, then dW = Gᵀ·dU;
/// - input gradient: dVᵢ = the 1 × 3 correlation of dMᵢ with Uᵢ transposed (a product with 3·O shifted rows
///   of dMᵢ), then dX = B·dV with overlapping groups added (`unpackInputGradient`, with the ReLU mask).
/// F(4, 3)'s transforms hold small integers (up to 8) and G's 1/4, 1/6, 1/12, 1/24: results agree with the
/// direct convolution to a few float roundings (ShiftedConvolutionTests: within 1e-4 relative). Chunk
/// sizes depend on the plane size and the batch only, so results do not depend on the thread count.
final class WinogradConvolution {
    /// G, the kernel transform of F(4, 3): Uᵢ = Σ_ky G[i][ky] · W[ky].
    static let g: [[Float]] = [[0.25, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                               [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
    /// Transformed rows (and products) per group of output rows.
    static let transforms = WinogradRows.transforms

    /// How a batch is cut: into `chunks`, the units the threads share, and each chunk into blocks of at
    /// most `blockSamples` samples (about `blockPositions` grid positions). Chunks: one per
    /// `blockPositions` positions of the batch, rounded up to an even number, at least 2 and at most 8, of
    /// near-equal size; they depend on the batch only, so results do not depend on the thread count.
    struct Geometry {
        let layout: WinogradRows.Layout
        let blockSamples: Int
        let samplesPerChunk: Int
        let chunks: Int

        init(h: Int, w: Int, samples n: Int) {
            let planeStride = (h + 3) / 4 * (w + 1)
            blockSamples = max(1, Self.blockPositions / planeStride)
            let blocks = (n * planeStride + Self.blockPositions - 1) / Self.blockPositions
            let wanted = min(Self.maximumChunks, max(2, blocks + blocks % 2))
            samplesPerChunk = (n + wanted - 1) / wanted
            chunks = (n + samplesPerChunk - 1) / samplesPerChunk
            let guardSize = 16
            let span = Self.roundUp(blockSamples * planeStride, ShiftedRowKernels.positionBlock)
            layout = WinogradRows.Layout(h: h, w: w, guardSize: guardSize, channelStride: guardSize + span + 16)
        }

        /// Chunks per batch at most: enough for 8 threads.
        static let maximumChunks = 8
        /// Positions per block, and per chunk at least: about 1,024, so that `rowDots`' 8 output-gradient
        /// rows (32 KB) stay in the L1 cache and its horizontal sums, one per output and row and block,
        /// stay rare (512 to 2,048 ran alike within this machine's noise; a quarter of that ran 2-3× slower).
        static let blockPositions = 1024

        /// Positions computed for a block of `samples` samples.
        func positions(samples: Int) -> Int { Self.roundUp(samples * layout.planeStride, ShiftedRowKernels.positionBlock) }
        var maxPositions: Int { positions(samples: blockSamples) }

        /// Calls `body(first sample, samples)` for the blocks of chunk `chunk` of a batch of `n`, in order.
        func forEachBlock(of chunk: Int, n: Int, _ body: (Int, Int) -> Void) {
            let start = chunk * samplesPerChunk, end = min(n, start + samplesPerChunk)
            var first = start
            while first < end {
                body(first, min(blockSamples, end - first))
                first += blockSamples
            }
        }

        static func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }
    }

    let inChannels: Int
    let outChannels: Int
    private let transformed = Scratch()
    private let transformedGradient = Scratch()
    private let wide = Scratch()
    private let rowTables = RowTables()
    /// Uᵢ for the products: forward [i][c·3 + kx][o], input gradient [i][o·3 + kx][c].
    private var forwardWeights = [Float]()
    /// Whether `forwardWeights` and `gradientWeights` hold the last forward pass's weights.
    private var prepared = false
    private var gradientWeights = [Float]()
    private var partials = [Float]()
    private var transformedWeightGradient = [Float]()

    init(inChannels: Int, outChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// Y = W ∗ X, or W ∗ max(X, 0) with `rectify`.
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        let c = inChannels, o = outChannels, rows = 3 * c, n = x.n, hw = x.h * x.w
        let geo = Geometry(h: x.h, w: x.w, samples: n), layout = geo.layout
        let chunks = geo.chunks, threads = Parallel.threads
        output.resize(n: n, c: o, h: x.h, w: x.w)
        prepareWeights(weights)
        prepared = true
        transformed.reserve(slots: threads, count: Self.transforms * c * layout.channelStride)
        wide.reserve(slots: threads, count: Self.transforms * o * geo.maxPositions)
        rowTables.reserve(slots: threads, count: Self.transforms * rows)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                forwardWeights.withUnsafeBufferPointer { wt in
                    Parallel.chunks(chunks, threads: threads) { range, slot in
                        let buffer = transformed[slot], table = rowTables[slot], out = wide[slot]
                        Self.fillRows(table, buffer, channels: c, layout, shiftSign: 1)
                        for chunk in range {
                            geo.forEachBlock(of: chunk, n: n) { first, samples in
                                let count = geo.positions(samples: samples)
                                WinogradRows.packInput(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, samples: samples,
                                                       channels: c, rectify: rectify, layout, into: buffer)
                                for i in 0..<Self.transforms {
                                    ShiftedRowKernels.product(weights: wt.baseAddress! + i * rows * o, outputs: o, rows: table + i * rows,
                                                              rowCount: rows, count: count, out: out + i * o * count, outStride: count)
                                }
                                WinogradRows.unpackOutput(out, wideStride: count, samples: samples, channels: o, layout,
                                                          into: yp.baseAddress! + first * hw, targetChannelStride: n * hw)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds dW to `weightGradient` and writes dX into `gradInput` (shaped like `x`; with `rectify`, the
    /// gradient with respect to the ReLU's input). Without `computesInputGradient` only dW is computed.
    /// Uses the kernel transform of the last forward pass (whose weights the gradient belongs to; `weights`
    /// only when there was none).
    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor,
                  computesInputGradient: Bool) {
        let c = inChannels, o = outChannels, rows = 3 * c, gradientRows = 3 * o, uSize = Self.transforms * o * rows, n = x.n, hw = x.h * x.w
        let geo = Geometry(h: x.h, w: x.w, samples: n), layout = geo.layout
        let chunks = geo.chunks, threads = Parallel.threads
        gradInput.resize(like: x)
        if !prepared { prepareWeights(weights) }  // the forward pass's transform: the weights this gradient belongs to
        if partials.count < chunks * uSize { partials = [Float](repeating: 0, count: chunks * uSize) }
        transformed.reserve(slots: threads, count: Self.transforms * c * layout.channelStride)
        transformedGradient.reserve(slots: threads, count: Self.transforms * o * layout.channelStride)
        wide.reserve(slots: threads, count: Self.transforms * c * geo.maxPositions)
        rowTables.reserve(slots: threads, count: Self.transforms * (rows + gradientRows))
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    partials.withUnsafeMutableBufferPointer { pp in
                        gradientWeights.withUnsafeBufferPointer { wb in
                            Parallel.chunks(chunks, threads: threads) { range, slot in
                                let xBuffer = transformed[slot], dyBuffer = transformedGradient[slot], out = wide[slot]
                                let xRows = rowTables[slot], dyRows = xRows + Self.transforms * rows
                                Self.fillRows(xRows, xBuffer, channels: c, layout, shiftSign: 1)
                                Self.fillRows(dyRows, dyBuffer, channels: o, layout, shiftSign: -1)
                                for chunk in range {
                                    let partial = pp.baseAddress! + chunk * uSize
                                    var accumulate = false
                                    geo.forEachBlock(of: chunk, n: n) { first, samples in
                                        let count = geo.positions(samples: samples)
                                        WinogradRows.packInput(xp.baseAddress! + first * hw, sourceChannelStride: n * hw, samples: samples,
                                                               channels: c, rectify: rectify, layout, into: xBuffer)
                                        WinogradRows.packGradient(dyp.baseAddress! + first * hw, sourceChannelStride: n * hw,
                                                                  samples: samples, channels: o, layout, into: dyBuffer)
                                        let dm = dyBuffer + layout.guardSize, dmStride = layout.channelStride
                                        for i in 0..<Self.transforms {
                                            ShiftedRowKernels.rowDots(dm + i * o * dmStride, dStride: dmStride, outputs: o,
                                                                      rows: xRows + i * rows, rowCount: rows, count: count,
                                                                      into: partial + i * o * rows, accumulate: accumulate)
                                        }
                                        accumulate = true
                                        if !computesInputGradient { return }
                                        for i in 0..<Self.transforms {
                                            ShiftedRowKernels.product(weights: wb.baseAddress! + i * gradientRows * c, outputs: c,
                                                                      rows: dyRows + i * gradientRows, rowCount: gradientRows, count: count,
                                                                      out: out + i * c * count, outStride: count)
                                        }
                                        let mask = rectify ? xp.baseAddress! + first * hw : nil
                                        WinogradRows.unpackInputGradient(out, wideStride: count, samples: samples, channels: c, layout,
                                                                         into: dxp.baseAddress! + first * hw, targetChannelStride: n * hw,
                                                                         mask: mask)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // dU = the chunks' partials in chunk order (the same sums whatever the thread count), dW += Gᵀ·dU.
        if transformedWeightGradient.count != uSize { transformedWeightGradient = [Float](repeating: 0, count: uSize) }
        for k in 0..<uSize { transformedWeightGradient[k] = 0 }
        Elementwise.addChunks(partials, chunks: chunks, size: uSize, into: &transformedWeightGradient)
        let du = transformedWeightGradient
        for oc in 0..<o {
            for ic in 0..<c {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        var sum: Float = 0
                        for i in 0..<Self.transforms where Self.g[i][ky] != 0 { sum += Self.g[i][ky] * du[(i * o + oc) * rows + ic * 3 + kx] }
                        weightGradient[((oc * c + ic) * 3 + ky) * 3 + kx] += sum
                    }
                }
            }
        }
    }

    /// Row i·3·channels + ch·3 + kx: transform i of channel ch's grid shifted by shiftSign·(kx − 1) (+1 for
    /// the products over the input, −1 for the input gradient's products over dM).
    private static func fillRows(_ table: UnsafeMutablePointer<UnsafePointer<Float>>, _ buffer: UnsafeMutablePointer<Float>,
                                 channels: Int, _ layout: WinogradRows.Layout, shiftSign: Int) {
        for i in 0..<Self.transforms {
            for ch in 0..<channels {
                let origin = UnsafePointer(buffer + (i * channels + ch) * layout.channelStride + layout.guardSize)
                for kx in 0..<3 { table[(i * channels + ch) * 3 + kx] = origin + shiftSign * (kx - 1) }
            }
        }
    }

    /// Uᵢ[o][c][kx] = Σ_ky G[i][ky] · W[o][c][ky][kx], laid out for the forward and the input-gradient products.
    private func prepareWeights(_ weights: [Float]) {
        let c = inChannels, o = outChannels, block = 3 * c * o, size = Self.transforms * block
        if forwardWeights.count != size {
            forwardWeights = [Float](repeating: 0, count: size)
            gradientWeights = [Float](repeating: 0, count: size)
        }
        weights.withUnsafeBufferPointer { w in
            forwardWeights.withUnsafeMutableBufferPointer { fw in
                gradientWeights.withUnsafeMutableBufferPointer { gw in
                    let f = fw.baseAddress!, g = gw.baseAddress!
                    for oc in 0..<o {
                        for ic in 0..<c {
                            let k = w.baseAddress! + (oc * c + ic) * 9
                            for kx in 0..<3 {
                                // Uᵢ = Σ_ky G[i][ky]·W[ky] with G's rows written out (`Self.g`).
                                let top = k[kx], middle = k[3 + kx], bottom = k[6 + kx]
                                let outer = top + bottom, quarter = top * 0.25 + bottom
                                let u: (Float, Float, Float, Float, Float, Float) = (
                                    top * 0.25, -(outer + middle) / 6, -(outer - middle) / 6,
                                    (quarter + middle * 0.5) / 6, (quarter - middle * 0.5) / 6, bottom)
                                let fi = (ic * 3 + kx) * o + oc, gi = (oc * 3 + kx) * c + ic
                                f[fi] = u.0; f[block + fi] = u.1; f[2 * block + fi] = u.2
                                f[3 * block + fi] = u.3; f[4 * block + fi] = u.4; f[5 * block + fi] = u.5
                                g[gi] = u.0; g[block + gi] = u.1; g[2 * block + gi] = u.2
                                g[3 * block + gi] = u.3; g[4 * block + gi] = u.4; g[5 * block + gi] = u.5
                            }
                        }
                    }
                }
            }
        }
    }
}
