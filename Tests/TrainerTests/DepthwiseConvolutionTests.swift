import Testing
@testable import Trainer

/// The depthwise convolution of DARTS's separable and dilated convolutions, against finite differences
/// and against a direct evaluation of its definition, on odd sizes: the portable loops, and the AVX-512
/// shifted rows where this CPU has them (the suite says when it does not).
@Suite struct DepthwiseConvolutionTests {
    /// Both algorithms where the CPU has AVX-512, the portable one otherwise.
    static let kernelSets: [ConvolutionKernels] = CPUFeatures.avx512 ? [.generic, .fastest] : [.generic]
    /// y[c][s][oy][ox] = Σ_ky,kx W[c][ky][kx] · x[c][s][oy·st − p + ky·d][ox·st − p + kx·d] (0 outside).
    func reference(_ x: Tensor, _ layer: DepthwiseConv2D) -> [Float] {
        let (ho, wo) = layer.outputSize(h: x.h, w: x.w), k = layer.kernel
        var y = [Float](repeating: 0, count: x.c * x.n * ho * wo)
        for c in 0..<x.c {
            for s in 0..<x.n {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var sum: Float = 0
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * layer.stride - layer.padding + ky * layer.dilation
                                let ix = ox * layer.stride - layer.padding + kx * layer.dilation
                                guard iy >= 0, iy < x.h, ix >= 0, ix < x.w else { continue }
                                var v = x.data[((c * x.n + s) * x.h + iy) * x.w + ix]
                                if layer.rectifiesInput { v = max(v, 0) }
                                sum += layer.weight.value[(c * k + ky) * k + kx] * v
                            }
                        }
                        y[((c * x.n + s) * ho + oy) * wo + ox] = sum
                    }
                }
            }
        }
        return y
    }

    static let cases: [(kernel: Int, stride: Int, dilation: Int, h: Int, w: Int)] = [
        (3, 1, 1, 7, 5), (3, 2, 1, 7, 9), (5, 1, 1, 6, 7), (5, 2, 1, 9, 7), (3, 1, 2, 7, 8), (5, 1, 2, 9, 9), (3, 2, 2, 11, 7),
        (5, 2, 2, 9, 11), (3, 1, 1, 1, 2), (5, 1, 2, 3, 2),
    ]

    @Test(arguments: cases)
    func forwardIsTheDefinition(kernel: Int, stride: Int, dilation: Int, h: Int, w: Int) {
        var rng = TestRNG(state: UInt64(kernel * 1000 + stride * 100 + dilation * 10 + h))
        for rectify in [false, true] {
            for kernels in Self.kernelSets {
                let layer = DepthwiseConv2D(channels: 3, kernel: kernel, stride: stride, dilation: dilation, rectifiesInput: rectify,
                                            kernels: kernels, rng: &rng)
                let x = GradientCheck.randomTensor(2, 3, h, w, &rng)
                let y = layer.forward(x, training: true)
                #expect(y.shape == [2, 3] + [layer.outputSize(h: h, w: w).0, layer.outputSize(h: h, w: w).1])
                let expected = reference(x, layer)
                #expect(zip(y.data, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(kernels)")
            }
        }
    }

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(kernel: Int, stride: Int, dilation: Int, h: Int, w: Int) {
        var rng = TestRNG(state: UInt64(kernel * 7 + stride * 5 + dilation * 3 + h * w))
        for rectify in [false, true] {
            for kernels in Self.kernelSets {
                let layer = DepthwiseConv2D(channels: 2, kernel: kernel, stride: stride, dilation: dilation, rectifiesInput: rectify,
                                            kernels: kernels, rng: &rng)
                GradientCheck.check(layer, input: GradientCheck.awayFromZero(GradientCheck.randomTensor(2, 2, h, w, &rng)), rng: &rng)
            }
        }
    }

    /// The same padding DARTS uses: stride 1 keeps the plane's size; stride 2 halves it (rounded up).
    @Test func samePaddingKeepsOrHalvesThePlane() {
        var rng = TestRNG(state: 1)
        for (k, d) in [(3, 1), (5, 1), (3, 2), (5, 2)] {
            #expect(DepthwiseConv2D(channels: 1, kernel: k, dilation: d, rng: &rng).outputSize(h: 7, w: 8) == (7, 8))
            #expect(DepthwiseConv2D(channels: 1, kernel: k, stride: 2, dilation: d, rng: &rng).outputSize(h: 7, w: 8) == (4, 4))
        }
    }

    /// Weight gradients accumulate across calls, and the thread count does not change a result.
    @Test(arguments: kernelSets)
    func gradientsAccumulateAndThreadsDoNotMatter(kernels: ConvolutionKernels) {
        var rng = TestRNG(state: 5)
        let layer = DepthwiseConv2D(channels: 5, kernel: 3, stride: 2, dilation: 2, kernels: kernels, rng: &rng)
        let x = GradientCheck.randomTensor(3, 5, 9, 9, &rng)
        let y = layer.forward(x, training: true)
        let dy = GradientCheck.randomTensor(y.n, y.c, y.h, y.w, &rng)
        layer.weight.zeroGradient()
        let once = Array(layer.backward(dy).data)
        let single = layer.weight.gradient
        _ = layer.backward(dy)
        #expect(zip(layer.weight.gradient, single).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        let saved = Parallel.threads
        Parallel.threads = 1
        defer { Parallel.threads = saved }
        layer.weight.zeroGradient()
        _ = layer.forward(x, training: true)
        #expect(Array(layer.backward(dy).data) == once)
        #expect(layer.weight.gradient == single)
    }

    /// The AVX-512 rows against the portable loops on the planes a DARTS network on 28 × 28 images sees
    /// (28, 14, 7) and odd ones, every DARTS geometry, a batch whose planes run on several threads: outputs,
    /// input and weight gradients agree to rounding.
    /// Skipped, saying so, on a CPU without AVX-512 (only the portable loops run there).
    @Test(.enabled(if: CPUFeatures.avx512, "this CPU has no AVX-512: only the portable loops run here"),
          arguments: [(3, 1, 1), (5, 1, 1), (3, 1, 2), (5, 1, 2), (3, 2, 1), (5, 2, 1), (3, 2, 2), (5, 2, 2)])
    func shiftedRowsAgreeWithTheLoops(kernel: Int, stride: Int, dilation: Int) throws {
        for size in [28, 14, 7, 13] {
            var rng = TestRNG(state: UInt64(size * 31 + kernel * 7 + stride * 3 + dilation))
            let rows = DepthwiseConv2D(channels: 6, kernel: kernel, stride: stride, dilation: dilation, rectifiesInput: true,
                                       kernels: .fastest, rng: &rng)
            let loops = DepthwiseConv2D(channels: 6, kernel: kernel, stride: stride, dilation: dilation, rectifiesInput: true,
                                        kernels: .generic, rng: &rng)
            loops.weight.value = rows.weight.value
            let x = GradientCheck.randomTensor(5, 6, size, size, &rng)
            let y = Array(rows.forward(x, training: true).data), expected = Array(loops.forward(x, training: true).data)
            #expect(y.count == expected.count)
            #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "forward at \(size)")
            let (ho, wo) = rows.outputSize(h: size, w: size)
            let dy = GradientCheck.randomTensor(5, 6, ho, wo, &rng)
            let dx = Array(rows.backward(dy).data), dxExpected = Array(loops.backward(dy).data)
            #expect(zip(dx, dxExpected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "input gradient at \(size)")
            #expect(zip(rows.weight.gradient, loops.weight.gradient).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) },
                    "weight gradient at \(size)")
        }
    }
}
