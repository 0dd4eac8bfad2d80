import Testing
@testable import Trainer

/// The AVX-512 shifted-row paths of 3×3 convolutions (same-size and stride 2) against im2col + OpenBLAS, and against
/// finite differences. Shapes cover partial last chunks (28×28: 2 samples a chunk; 7×7: 27), output
/// counts that are not a multiple of the 8-row block, one input channel (9 rows: the 4-row dot blocks
/// leave one), and planes of one row or one column.
@Suite(.enabled(if: CPUFeatures.avx512, "this CPU lacks AVX-512: the shifted-row kernels are never used here"))
struct ShiftedConvolutionTests {
    @Test(arguments: [(3, 3, 4, 28, 28), (30, 2, 8, 7, 7), (5, 1, 16, 7, 7), (4, 3, 9, 5, 3), (2, 16, 16, 14, 14),
                      (3, 5, 2, 1, 6), (2, 4, 3, 6, 1), (1, 8, 8, 4, 4), (40, 3, 5, 3, 2), (3, 2, 17, 9, 11)])
    func matchesIm2colAndOpenBLAS(n: Int, c: Int, o: Int, h: Int, w: Int) {
        for rectify in [false, true] {
            for winograd in [false, true] {
                compareWithGeneric(n: n, c: c, o: o, h: h, w: w, stride: 1, rectify: rectify, winograd: winograd)
            }
        }
    }

    /// Stride 2 (phase grids), even and odd sizes: 28 → 14 and 14 → 7 as in NB201, 7 → 4, 5 × 3 → 3 × 2, and
    /// odd widths whose column split and merge take the 16-, 8- and 1-float paths (17, 11, 33).
    @Test(arguments: [(3, 3, 4, 28, 28), (4, 16, 32, 14, 14), (5, 2, 8, 7, 7), (3, 3, 9, 5, 3), (2, 4, 3, 1, 2), (2, 1, 5, 2, 6),
                      (2, 3, 5, 9, 17), (3, 2, 4, 6, 11), (2, 2, 3, 4, 33)])
    func strideTwoMatchesIm2colAndOpenBLAS(n: Int, c: Int, o: Int, h: Int, w: Int) {
        for rectify in [false, true] { compareWithGeneric(n: n, c: c, o: o, h: h, w: w, stride: 2, rectify: rectify) }
    }

    private func compareWithGeneric(n: Int, c: Int, o: Int, h: Int, w: Int, stride: Int, rectify: Bool, winograd: Bool = false) {
        var rng = TestRNG(state: UInt64(n * 1000 + c * 100 + o * 10 + h))
        var seed = TestRNG(state: UInt64(c * o + h))
        // The shifted rows even under ANASOD_TRAINER_KERNELS=generic, against im2col + OpenBLAS.
        let shifted = Conv2D(c, o, kernel: 3, stride: stride, padding: 1, rectifiesInput: rectify,
                             kernels: ConvolutionKernels(shiftedRows: true, winograd: winograd), rng: &seed)
        seed = TestRNG(state: UInt64(c * o + h))
        let generic = Conv2D(c, o, kernel: 3, stride: stride, padding: 1, rectifiesInput: rectify, kernels: .generic, rng: &seed)
        #expect(generic.algorithm is Im2colConvolution)
        #expect(winograd && stride == 1 ? shifted.algorithm is WinogradConvolution : shifted.algorithm is ShiftedConvolution)
        #expect(shifted.weight.value == generic.weight.value)
        let x = GradientCheck.randomTensor(n, c, h, w, &rng)
        let (ho, wo) = generic.outputSize(h: h, w: w)
        let dy = GradientCheck.randomTensor(n, o, ho, wo, &rng)
        let y1 = shifted.forward(x, training: true).data, y2 = generic.forward(x, training: true).data
        let path = winograd ? "Winograd" : "shifted"
        expectClose(y1, y2, "\(path) forward", rectify: rectify)
        let dx1 = shifted.backward(dy).data, dx2 = generic.backward(dy).data
        expectClose(dx1, dx2, "\(path) input gradient", rectify: rectify)
        expectClose(shifted.weight.gradient, generic.weight.gradient, "\(path) weight gradient", rectify: rectify)
        // Gradients accumulate: a second backward pass doubles dW on both paths.
        _ = shifted.backward(dy)
        _ = generic.backward(dy)
        expectClose(shifted.weight.gradient, generic.weight.gradient, "\(path) accumulated weight gradient", rectify: rectify)
    }

    @Test(arguments: [(2, 3, 4, 7, 7, 1), (3, 1, 5, 4, 9, 1), (2, 2, 3, 1, 2, 1), (2, 2, 3, 5, 4, 1), (2, 3, 4, 8, 8, 2), (2, 2, 3, 7, 5, 2)])
    func gradientsMatchFiniteDifferences(n: Int, c: Int, o: Int, h: Int, w: Int, stride: Int) {
        var rng = TestRNG(state: UInt64(n + c + o + h * w))
        for rectify in [false, true] {
            for winograd in stride == 1 ? [false, true] : [false] {
                let conv = Conv2D(c, o, kernel: 3, stride: stride, padding: 1, rectifiesInput: rectify,
                                  kernels: ConvolutionKernels(shiftedRows: true, winograd: winograd), rng: &rng)
                GradientCheck.check(conv, input: GradientCheck.awayFromZero(GradientCheck.randomTensor(n, c, h, w, &rng)), rng: &rng)
            }
        }
    }

    private func expectClose(_ a: [Float], _ b: [Float], _ what: String, rectify: Bool) {
        #expect(a.count == b.count, "\(what): sizes differ")
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
        #expect(worst < 1e-4, "\(what) (rectify: \(rectify)): largest relative difference \(worst)")
    }
}

@Suite struct CPUFeatureTests {
    @Test func theKernelPathIsNamedAndAnUnknownSettingSaidSo() {
        let auto = "AVX-512 Winograd F(4,3) rows (stride 1), shifted rows (stride 2)"
        #expect(ShiftedConvolution.describe(avx512: true, requested: nil) == auto)
        #expect(ShiftedConvolution.describe(avx512: true, requested: "auto") == auto)
        #expect(ShiftedConvolution.describe(avx512: true, requested: "shifted") == "AVX-512 shifted rows (ANASOD_TRAINER_KERNELS=shifted)")
        #expect(ShiftedConvolution.describe(avx512: true, requested: "generic").hasPrefix("im2col + OpenBLAS"))
        #expect(ShiftedConvolution.describe(avx512: false, requested: nil).contains("no AVX-512"))
        #expect(ShiftedConvolution.describe(avx512: false, requested: "shifted").contains("no AVX-512"))
        let typo = ShiftedConvolution.describe(avx512: true, requested: "gneric")
        #expect(typo.hasPrefix(auto) && typo.contains("gneric not understood"))
    }

    @Test func avx512NeedsEveryFeatureTheKernelsUse() {
        let full = "flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni"
        #expect(CPUFeatures.hasAVX512(flags: full[...]))
        #expect(!CPUFeatures.hasAVX512(flags: "flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw"))
        #expect(!CPUFeatures.hasAVX512(flags: "flags\t\t: fpu sse2 avx2 fma"))
        #expect(!CPUFeatures.hasAVX512(flags: "flags\t\t: avx512fx avx512bwx avx512cdx avx512dqx avx512vlx"))
    }
}
