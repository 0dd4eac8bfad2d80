import CLinearAlgebra
import Foundation

/// The portable convolution: im2col + OpenBLAS. Activations are channel-major (C × N·H·W, see `Tensor`),
/// so one GEMM covers a chunk of g samples side by side and writes its output in place, with no layout
/// shuffles:
/// forward  Y[:, chunk] (O × g·HoWo) = W (O × C·k·k) · col(X[:, chunk]);
/// backward dW += Σ_chunks dY[:, chunk] · colᵀ (summed in chunk order), dcol = Wᵀ · dY[:, chunk], dX = col2im(dcol).
/// A 1×1 convolution with stride 1 needs no im2col: X itself is the column matrix. A same-size stride-1
/// convolution (3×3, padding 1) builds each column row as one shifted copy of the plane, and takes dX as
/// the same convolution of dY with the flipped, transposed kernel (dX[:, chunk] = W̃ · col(dY), in place)
/// instead of the col2im scatter. Chunks (≈ 2,048 columns) run on `Parallel.threads` threads, each with
/// its own scratch matrices and a single-threaded `cblas_sgemm`; every chunk's arithmetic is the same
/// whatever the thread count.
final class Im2colConvolution: ConvolutionAlgorithm {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// max(x, 0) of the forward's input, for a convolution with a fused ReLU.
    private let rectified = Tensor(n: 0, c: 0)
    private let columns = Scratch()
    private let gradColumns = Scratch()
    /// Per-chunk weight gradients, summed in chunk order after the parallel part.
    private var partials = [Float]()
    /// W̃[c][(o·k + ky)·k + kx] = W[o][c][k−1−ky][k−1−kx], for the input gradient of same-size convolutions.
    private var flipped = [Float]()

    init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    func outputSize(h: Int, w: Int) -> (Int, Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    /// A 1×1, stride-1, unpadded convolution: the input is its own column matrix.
    private var pointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// Samples per chunk: about 2,048 output columns, enough for OpenBLAS to run at speed on these thin
    /// matrices while the column matrix stays in cache.
    private func samplesPerChunk(_ cols: Int) -> Int { max(1, 2048 / max(1, cols)) }

    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor) {
        if rectify { Elementwise.rectify(x, into: rectified) }
        let x = rectify ? rectified : x
        let n = x.n, (ho, wo) = outputSize(h: x.h, w: x.w)
        output.resize(n: n, c: outChannels, h: ho, w: wo)
        let rows = inChannels * kernel * kernel, cols = ho * wo, total = n * cols, inTotal = n * x.h * x.w
        let g = samplesPerChunk(cols), chunks = (n + g - 1) / g
        let threads = Parallel.threads
        if !pointwise { columns.reserve(slots: threads, count: rows * g * cols) }
        let o = Int32(outChannels), pointwise = self.pointwise
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weights.withUnsafeBufferPointer { wp in
                    Parallel.chunks(chunks, threads: threads) { range, slot in
                        for chunk in range {
                            let first = chunk * g, count = min(g, n - first), ld = count * cols
                            let b: UnsafePointer<Float>, ldb: Int
                            if pointwise {
                                (b, ldb) = (xp.baseAddress! + first * cols, inTotal)
                            } else {
                                let col = columns[slot]
                                for s in 0..<count { columnsOf(xp.baseAddress!, n, first + s, x.h, x.w, ho, wo, col + s * cols, ld) }
                                (b, ldb) = (UnsafePointer(col), ld)
                            }
                            // Y[:, chunk] (O × ld) = W (O × rows) · col (rows × ld), written in place.
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o, Int32(ld), Int32(rows), 1, wp.baseAddress,
                                        Int32(rows), b, Int32(ldb), 0, yp.baseAddress! + first * cols, Int32(total))
                        }
                    }
                }
            }
        }
    }

    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor,
                  computesInputGradient: Bool) {
        let x = rectify ? rectified : x  // the forward's rectified copy: the columns it multiplied
        let inputGradient = computesInputGradient
        defer { if rectify && inputGradient { Elementwise.mask(gradInput, by: rectified, into: gradInput) } }
        let n = x.n, (ho, wo) = (dy.h, dy.w)
        let rows = inChannels * kernel * kernel, cols = ho * wo, total = n * cols, inTotal = n * x.h * x.w
        let g = samplesPerChunk(cols), chunks = (n + g - 1) / g
        gradInput.resize(like: x)
        let pointwise = self.pointwise
        let threads = Parallel.threads
        let same = sameSize, flippedRows = outChannels * kernel * kernel
        if !pointwise {
            columns.reserve(slots: threads, count: rows * g * cols)
            gradColumns.reserve(slots: threads, count: (same ? flippedRows : rows) * g * cols)
        }
        if same { flipWeights(weights) }
        let wSize = outChannels * rows
        if partials.count < chunks * wSize { partials = [Float](repeating: 0, count: chunks * wSize) }
        let o = Int32(outChannels)
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weights.withUnsafeBufferPointer { wp in
                        partials.withUnsafeMutableBufferPointer { pp in
                            Parallel.chunks(chunks, threads: threads) { range, slot in
                                for chunk in range {
                                    let first = chunk * g, count = min(g, n - first), ld = count * cols
                                    let d = dyp.baseAddress! + first * cols
                                    let partial = pp.baseAddress! + chunk * wSize
                                    if pointwise {
                                        let xc = xp.baseAddress! + first * cols
                                        // dW_chunk (O × C) = dY (O × ld) · Xᵀ (ld × C)
                                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, o, Int32(rows), Int32(ld), 1, d,
                                                    Int32(total), xc, Int32(inTotal), 0, partial, Int32(rows))
                                        if !inputGradient { continue }
                                        // dX[:, chunk] (C × ld) = Wᵀ (C × O) · dY (O × ld)
                                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(ld), o, 1,
                                                    wp.baseAddress, Int32(rows), d, Int32(total), 0,
                                                    dxp.baseAddress! + first * cols, Int32(inTotal))
                                        continue
                                    }
                                    let col = columns[slot], dcol = gradColumns[slot]
                                    for s in 0..<count { columnsOf(xp.baseAddress!, n, first + s, x.h, x.w, ho, wo, col + s * cols, ld) }
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, o, Int32(rows), Int32(ld), 1, d,
                                                Int32(total), col, Int32(ld), 0, partial, Int32(rows))
                                    if !inputGradient { continue }
                                    if same {
                                        // dX[:, chunk] (C × ld) = W̃ (C × O·k·k) · col(dY) (O·k·k × ld): the adjoint of
                                        // a same-size convolution is the same-size convolution of dY with the
                                        // flipped, transposed kernel, written in place (no col2im).
                                        for s in 0..<count {
                                            sameIm2col(dyp.baseAddress!, n, first + s, x.h, x.w, dcol + s * cols, ld, channels: outChannels)
                                        }
                                        flipped.withUnsafeBufferPointer { fp in
                                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(inChannels), Int32(ld),
                                                        Int32(flippedRows), 1, fp.baseAddress, Int32(flippedRows), dcol, Int32(ld), 0,
                                                        dxp.baseAddress! + first * cols, Int32(inTotal))
                                        }
                                        continue
                                    }
                                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(ld), o, 1,
                                                wp.baseAddress, Int32(rows), d, Int32(total), 0, dcol, Int32(ld))
                                    for s in 0..<count {
                                        col2im(UnsafePointer(dcol + s * cols), n, first + s, x.h, x.w, ho, wo, dxp.baseAddress!, ld)
                                    }
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

    /// Stride 1 with "same" padding (2p = k − 1): output and input planes have one size, and each kernel
    /// offset's column row is the input plane shifted by (ky − p)·w + (kx − p).
    private var sameSize: Bool { stride == 1 && 2 * padding == kernel - 1 }

    @inline(__always)
    private func columnsOf(_ x: UnsafePointer<Float>, _ n: Int, _ sample: Int, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int,
                           _ col: UnsafeMutablePointer<Float>, _ ld: Int) {
        if sameSize {
            sameIm2col(x, n, sample, h, w, col, ld)
        } else {
            im2col(x, n, sample, h, w, ho, wo, col, ld)
        }
    }

    /// For one kernel offset (dy, dx) of a same-size convolution: the flat output positions whose shifted
    /// source lies in the plane (`lo..<hi`, inside the valid rows `start..<end`).
    @inline(__always)
    private func shiftRange(_ dy: Int, _ dx: Int, _ h: Int, _ w: Int) -> (start: Int, end: Int, lo: Int, hi: Int) {
        let hw = h * w, offset = dy * w + dx
        let start = min(hw, max(0, -dy) * w), end = max(start, min(hw, min(h, h - dy) * w))
        let lo = min(end, max(start, -offset)), hi = max(lo, min(end, hw - offset))
        return (start, end, lo, hi)
    }

    /// Builds `flipped` from the current weights.
    private func flipWeights(_ weights: [Float]) {
        let k = kernel, kk = k * k, c = inChannels, o = outChannels
        if flipped.count != c * o * kk { flipped = [Float](repeating: 0, count: c * o * kk) }
        weights.withUnsafeBufferPointer { wp in
            flipped.withUnsafeMutableBufferPointer { fp in
                for oc in 0..<o {
                    for ic in 0..<c {
                        for j in 0..<kk { fp[ic * o * kk + oc * kk + j] = wp[(oc * c + ic) * kk + (kk - 1 - j)] }
                    }
                }
            }
        }
    }

    /// im2col of a same-size convolution: per kernel offset one contiguous shifted copy of the plane, then
    /// the rows outside the image and the columns that wrapped around a row edge set to 0. `channels`
    /// planes of the channel-major tensor `x` (the input's, or the output gradient's for the adjoint).
    private func sameIm2col(_ x: UnsafePointer<Float>, _ n: Int, _ sample: Int, _ h: Int, _ w: Int,
                            _ col: UnsafeMutablePointer<Float>, _ ld: Int, channels: Int? = nil) {
        let hw = h * w
        var row = 0
        for ch in 0..<(channels ?? inChannels) {
            let plane = x + (ch * n + sample) * hw
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let dy = ky - padding, dx = kx - padding
                    let out = col + row * ld
                    let r = shiftRange(dy, dx, h, w)
                    for i in 0..<r.lo { out[i] = 0 }
                    let src = plane + (dy * w + dx)
                    for i in r.lo..<r.hi { out[i] = src[i] }
                    for i in r.hi..<hw { out[i] = 0 }
                    if dx != 0 {
                        let first = dx < 0 ? 0 : w - min(w, dx), count = min(w, abs(dx))
                        var y = r.start
                        while y < r.end {
                            for j in 0..<count { out[y + first + j] = 0 }
                            y += w
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The output columns `ox` whose input column `ox·s − p + kx` lies inside `0..<w`.
    @inline(__always)
    private func validColumns(_ kx: Int, _ w: Int, _ wo: Int) -> Range<Int> {
        let lo = max(0, (padding - kx + stride - 1) / stride)
        let hi = min(wo, (w - 1 + padding - kx) / stride + 1)
        return lo..<max(lo, hi)
    }

    /// The column matrix of sample `sample` (of `n`, channel-major input):
    /// col[(ch·k + ky)·k + kx][oy·wo + ox] = x[ch][sample][oy·s − p + ky][ox·s − p + kx] (0 outside). Per
    /// kernel offset the valid output columns are one range. Rows are short (7–32 values), so plain loops
    /// beat memcpy/memset calls. Row r starts at `col + r·ld` (ld ≥ ho·wo: several samples side by side).
    private func im2col(_ x: UnsafePointer<Float>, _ n: Int, _ sample: Int, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int,
                        _ col: UnsafeMutablePointer<Float>, _ ld: Int) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + (ch * n + sample) * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let out = col + row * ld
                    let valid = validColumns(kx, w, wo)
                    let lo = valid.lowerBound, hi = valid.upperBound
                    for oy in 0..<ho {
                        let iy = oy * stride - padding + ky
                        let line = out + oy * wo
                        if iy < 0 || iy >= h || lo >= hi {
                            for ox in 0..<wo { line[ox] = 0 }
                            continue
                        }
                        for ox in 0..<lo { line[ox] = 0 }
                        let src = plane + iy * w - padding + kx
                        if stride == 1 {
                            for ox in lo..<hi { line[ox] = src[ox] }
                        } else {
                            for ox in lo..<hi { line[ox] = src[ox * stride] }
                        }
                        for ox in hi..<wo { line[ox] = 0 }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of im2col: sets sample `sample`'s planes of the image from its columns (the first
    /// kernel offset that covers a pixel writes it, the others add).
    private func col2im(_ col: UnsafePointer<Float>, _ n: Int, _ sample: Int, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int,
                        _ x: UnsafeMutablePointer<Float>, _ ld: Int) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + (ch * n + sample) * h * w
            for i in 0..<(h * w) { plane[i] = 0 }
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let src = col + row * ld
                    let valid = validColumns(kx, w, wo)
                    for oy in 0..<ho {
                        let iy = oy * stride - padding + ky
                        if iy < 0 || iy >= h { continue }
                        let line = src + oy * wo
                        let dst = plane + iy * w - padding + kx
                        if stride == 1 {
                            for ox in valid { dst[ox] += line[ox] }
                        } else {
                            for ox in valid { dst[ox * stride] += line[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
