import CLinearAlgebra
import Foundation

/// 2-D convolution without bias (every NB201 convolution is followed by batch norm), square kernel,
/// stride and zero padding, by im2col and `cblas_sgemm` over chunks of samples laid side by side
/// (≈ 8,192 columns per GEMM, so the thin NB201 matrices still run at BLAS speed):
/// forward  P (O × g·HoWo) = W (O × C·k·k) · [col(X_1) … col(X_g)];
/// backward dW += dP · [col(X_i)]ᵀ, [dcol_i] = Wᵀ · dP, dX_i = col2im(dcol_i).
/// Weights are Kaiming-normal (fan-in, ReLU gain): N(0, 2 / (C·k·k)).
public final class Conv2D: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter

    private var input: Tensor?
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    private var column = [Float]()
    private var gradColumn = [Float]()
    private var product = [Float]()

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                rng: inout some RandomNumberGenerator) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        let fanIn = Double(inChannels * kernel * kernel)
        let std = (2 / fanIn).squareRoot()
        weight = Parameter((0..<(outChannels * inChannels * kernel * kernel)).map { _ in Float(std * gaussian(&rng)) },
                           decays: true)
    }

    public var parameters: [Parameter] { [weight] }

    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        let (ho, wo) = outputSize(h: h, w: w)
        return outChannels * inChannels * kernel * kernel * ho * wo
    }

    /// Grows the scratch matrices (columns, products, and column gradients for backward) to fit.
    private func reserve(rows: Int, width: Int, gradient: Bool) {
        if column.count < rows * width { column = [Float](repeating: 0, count: rows * width) }
        if product.count < outChannels * width { product = [Float](repeating: 0, count: outChannels * width) }
        if gradient && gradColumn.count < rows * width { gradColumn = [Float](repeating: 0, count: rows * width) }
    }

    /// Samples per GEMM: enough columns (≈ 8,192) that OpenBLAS runs at speed on these thin matrices.
    private func chunkSize(_ n: Int, _ cols: Int) -> Int { max(1, min(n, 8192 / max(1, cols))) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == inChannels, "Conv2D expects \(inChannels) channels, got \(x.c)")
        input = x
        let (ho, wo) = outputSize(h: x.h, w: x.w)
        output.resize(n: x.n, c: outChannels, h: ho, w: wo)
        let rows = inChannels * kernel * kernel, cols = ho * wo
        let group = chunkSize(x.n, cols)
        reserve(rows: rows, width: group * cols, gradient: false)
        let inSize = x.sampleSize, outSize = outChannels * cols
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weight.value.withUnsafeBufferPointer { wp in
                    column.withUnsafeMutableBufferPointer { cp in
                        product.withUnsafeMutableBufferPointer { pp in
                            var first = 0
                            while first < x.n {
                                let g = min(group, x.n - first), ld = g * cols
                                Parallel.chunks(g) { samples, _ in
                                    for s in samples {
                                        im2col(xp.baseAddress! + (first + s) * inSize, x.h, x.w, ho, wo, cp.baseAddress! + s * cols, ld)
                                    }
                                }
                                // P (O × g·cols) = W (O × rows) · col (rows × g·cols)
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(ld), Int32(rows),
                                            1, wp.baseAddress, Int32(rows), cp.baseAddress, Int32(ld), 0, pp.baseAddress, Int32(ld))
                                Parallel.chunks(g) { samples, _ in
                                    for s in samples {
                                        let dst = yp.baseAddress! + (first + s) * outSize
                                        for o in 0..<outChannels {
                                            (dst + o * cols).update(from: pp.baseAddress! + o * ld + s * cols, count: cols)
                                        }
                                    }
                                }
                                first += g
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        let (ho, wo) = (dy.h, dy.w)
        let rows = inChannels * kernel * kernel, cols = ho * wo
        let group = chunkSize(x.n, cols)
        gradInput.resize(like: x, zero: true)
        reserve(rows: rows, width: group * cols, gradient: true)
        let inSize = x.sampleSize, outSize = outChannels * cols
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weight.value.withUnsafeBufferPointer { wp in
                        weight.gradient.withUnsafeMutableBufferPointer { dwp in
                            column.withUnsafeMutableBufferPointer { cp in
                                gradColumn.withUnsafeMutableBufferPointer { gcp in
                                    product.withUnsafeMutableBufferPointer { pp in
                                        var first = 0
                                        while first < x.n {
                                            let g = min(group, x.n - first), ld = g * cols
                                            Parallel.chunks(g) { samples, _ in
                                                for s in samples {
                                                    im2col(xp.baseAddress! + (first + s) * inSize, x.h, x.w, ho, wo, cp.baseAddress! + s * cols, ld)
                                                    let src = dyp.baseAddress! + (first + s) * outSize
                                                    for o in 0..<outChannels {
                                                        (pp.baseAddress! + o * ld + s * cols).update(from: src + o * cols, count: cols)
                                                    }
                                                }
                                            }
                                            // dW (O × rows) += dP (O × g·cols) · colᵀ (g·cols × rows)
                                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outChannels), Int32(rows), Int32(ld),
                                                        1, pp.baseAddress, Int32(ld), cp.baseAddress, Int32(ld), 1, dwp.baseAddress, Int32(rows))
                                            // dcol (rows × g·cols) = Wᵀ (rows × O) · dP (O × g·cols)
                                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(ld), Int32(outChannels),
                                                        1, wp.baseAddress, Int32(rows), pp.baseAddress, Int32(ld), 0, gcp.baseAddress, Int32(ld))
                                            Parallel.chunks(g) { samples, _ in
                                                for s in samples {
                                                    col2im(UnsafePointer(gcp.baseAddress! + s * cols), x.h, x.w, ho, wo,
                                                           dxp.baseAddress! + (first + s) * inSize, ld)
                                                }
                                            }
                                            first += g
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }

    /// The output columns `ox` whose input column `ox·s − p + kx` lies inside `0..<w`.
    @inline(__always)
    private func validColumns(_ kx: Int, _ w: Int, _ wo: Int) -> Range<Int> {
        let lo = max(0, (padding - kx + stride - 1) / stride)
        let hi = min(wo, (w - 1 + padding - kx) / stride + 1)
        return lo..<max(lo, hi)
    }

    /// col[(ch·k + ky)·k + kx][oy·wo + ox] = x[ch][oy·s − p + ky][ox·s − p + kx] (0 outside): per kernel
    /// offset the valid output columns are one range, copied contiguously when the stride is 1.
    /// Row r of the column matrix starts at `col + r·ld` (ld ≥ ho·wo: several samples side by side).
    private func im2col(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int, _ col: UnsafeMutablePointer<Float>,
                        _ ld: Int) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + ch * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let out = col + row * ld
                    let valid = validColumns(kx, w, wo)
                    for oy in 0..<ho {
                        let iy = oy * stride - padding + ky
                        let line = out + oy * wo
                        if iy < 0 || iy >= h || valid.isEmpty {
                            line.update(repeating: 0, count: wo)
                            continue
                        }
                        if valid.lowerBound > 0 { line.update(repeating: 0, count: valid.lowerBound) }
                        if valid.upperBound < wo { (line + valid.upperBound).update(repeating: 0, count: wo - valid.upperBound) }
                        let src = plane + iy * w - padding + kx
                        if stride == 1 {
                            (line + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            for ox in valid { line[ox] = src[ox * stride] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of im2col: accumulates columns back into the image.
    private func col2im(_ col: UnsafePointer<Float>, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int, _ x: UnsafeMutablePointer<Float>,
                        _ ld: Int) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + ch * h * w
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

/// A standard normal draw (Marsaglia polar), for initialisation.
func gaussian(_ rng: inout some RandomNumberGenerator) -> Double {
    while true {
        let u = 2 * (Double(rng.next() >> 11) * 0x1p-53) - 1
        let v = 2 * (Double(rng.next() >> 11) * 0x1p-53) - 1
        let s = u * u + v * v
        if s > 0 && s < 1 { return u * (-2 * log(s) / s).squareRoot() }
    }
}
