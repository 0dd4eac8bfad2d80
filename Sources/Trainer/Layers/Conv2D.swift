import CLinearAlgebra
import Foundation

/// 2-D convolution without bias (every NB201 convolution is followed by batch norm), square kernel,
/// stride and zero padding, by im2col and `cblas_sgemm` per sample:
/// forward  Y_i (O × HoWo) = W (O × C·k·k) · col(X_i) (C·k·k × HoWo);
/// backward dW += dY_i · col(X_i)ᵀ, dX_i = col2im(Wᵀ · dY_i).
/// A 1×1, stride-1, unpadded convolution uses X_i itself as the column matrix. Weights are Kaiming-normal
/// (fan-in, ReLU gain): N(0, 2 / (C·k·k)).
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

    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == inChannels, "Conv2D expects \(inChannels) channels, got \(x.c)")
        input = x
        let (ho, wo) = outputSize(h: x.h, w: x.w)
        output.resize(n: x.n, c: outChannels, h: ho, w: wo)
        let rows = inChannels * kernel * kernel, cols = ho * wo
        if !isPointwise && column.count < rows * cols { column = [Float](repeating: 0, count: rows * cols) }
        let inSize = x.sampleSize, outSize = outChannels * cols
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                weight.value.withUnsafeBufferPointer { wp in
                    column.withUnsafeMutableBufferPointer { cp in
                        for i in 0..<x.n {
                            let src = xp.baseAddress! + i * inSize
                            let col: UnsafePointer<Float>
                            if isPointwise {
                                col = src
                            } else {
                                im2col(src, x.h, x.w, ho, wo, cp.baseAddress!)
                                col = UnsafePointer(cp.baseAddress!)
                            }
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(cols), Int32(rows),
                                        1, wp.baseAddress, Int32(rows), col, Int32(cols), 0, yp.baseAddress! + i * outSize, Int32(cols))
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
        gradInput.resize(like: x, zero: !isPointwise)
        if !isPointwise && gradColumn.count < rows * cols { gradColumn = [Float](repeating: 0, count: rows * cols) }
        let inSize = x.sampleSize, outSize = outChannels * cols
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                gradInput.data.withUnsafeMutableBufferPointer { dxp in
                    weight.value.withUnsafeBufferPointer { wp in
                        weight.gradient.withUnsafeMutableBufferPointer { dwp in
                            column.withUnsafeMutableBufferPointer { cp in
                                gradColumn.withUnsafeMutableBufferPointer { gcp in
                                    for i in 0..<x.n {
                                        let src = xp.baseAddress! + i * inSize
                                        let g = dyp.baseAddress! + i * outSize
                                        let col: UnsafePointer<Float>
                                        if isPointwise {
                                            col = src
                                        } else {
                                            im2col(src, x.h, x.w, ho, wo, cp.baseAddress!)
                                            col = UnsafePointer(cp.baseAddress!)
                                        }
                                        // dW (O × rows) += dY (O × cols) · colᵀ (cols × rows)
                                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outChannels), Int32(rows), Int32(cols),
                                                    1, g, Int32(cols), col, Int32(cols), 1, dwp.baseAddress, Int32(rows))
                                        let dst = dxp.baseAddress! + i * inSize
                                        if isPointwise {
                                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(cols), Int32(outChannels),
                                                        1, wp.baseAddress, Int32(rows), g, Int32(cols), 0, dst, Int32(cols))
                                        } else {
                                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(cols), Int32(outChannels),
                                                        1, wp.baseAddress, Int32(rows), g, Int32(cols), 0, gcp.baseAddress, Int32(cols))
                                            col2im(UnsafePointer(gcp.baseAddress!), x.h, x.w, ho, wo, dst)
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
    private func im2col(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int, _ col: UnsafeMutablePointer<Float>) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + ch * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let out = col + row * ho * wo
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
    private func col2im(_ col: UnsafePointer<Float>, _ h: Int, _ w: Int, _ ho: Int, _ wo: Int, _ x: UnsafeMutablePointer<Float>) {
        var row = 0
        for ch in 0..<inChannels {
            let plane = x + ch * h * w
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let src = col + row * ho * wo
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
