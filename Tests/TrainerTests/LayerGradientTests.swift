import Testing
@testable import Trainer

@Suite struct LayerGradientTests {
    @Test(arguments: [(3, 1, 1, 7, 7), (3, 2, 1, 7, 7), (1, 1, 0, 5, 6), (3, 2, 1, 8, 8), (1, 2, 0, 6, 6), (3, 1, 0, 5, 5),
                      (3, 1, 1, 4, 9), (3, 1, 1, 1, 2), (3, 1, 1, 2, 1), (5, 1, 2, 6, 4), (2, 1, 0, 2, 2), (2, 1, 0, 3, 4)])
    func convolution(kernel: Int, stride: Int, padding: Int, h: Int, w: Int) {
        var rng = TestRNG(state: UInt64(kernel * 100 + stride * 10 + padding + h))
        // im2col + OpenBLAS (ShiftedConvolutionTests check the other paths)
        let conv = Conv2D(3, 4, kernel: kernel, stride: stride, padding: padding, kernels: .generic, rng: &rng)
        GradientCheck.check(conv, input: GradientCheck.randomTensor(2, 3, h, w, &rng), rng: &rng)
    }

    /// A ReLU fused into the convolution (im2col path; ShiftedConvolutionTests check the other), inputs
    /// kept away from the kink, including stride 2 and a 1×1 kernel.
    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (2, 1, 0)])
    func convolutionWithFusedReLU(kernel: Int, stride: Int, padding: Int) {
        var rng = TestRNG(state: UInt64(40 + kernel * 10 + stride))
        let conv = Conv2D(3, 4, kernel: kernel, stride: stride, padding: padding, rectifiesInput: true, kernels: .generic, rng: &rng)
        GradientCheck.check(conv, input: GradientCheck.awayFromZero(GradientCheck.randomTensor(2, 3, 6, 5, &rng)), rng: &rng)
        let x = Tensor(n: 1, c: 3, h: 6, w: 5, data: (0..<90).map { Float($0 % 7) - 3 })
        let plain = Conv2D(3, 4, kernel: kernel, stride: stride, padding: padding, kernels: .generic, rng: &rng)
        let fused = Conv2D(3, 4, kernel: kernel, stride: stride, padding: padding, rectifiesInput: true, kernels: .generic, rng: &rng)
        fused.weight.value = plain.weight.value
        #expect(fused.forward(x, training: true).data == plain.forward(ReLU().forward(x, training: true), training: true).data)
    }

    /// A first layer skips its input gradient; its weight gradient is unchanged (both convolution paths).
    @Test(arguments: [(3, 1, 1, true), (3, 1, 1, false), (3, 2, 1, false), (1, 1, 0, false)])
    func weightGradientWithoutInputGradient(kernel: Int, stride: Int, padding: Int, shifted: Bool) {
        var rng = TestRNG(state: 77)
        let x = GradientCheck.randomTensor(3, 2, 8, 8, &rng)
        var convs = [Conv2D]()
        for computes in [true, false] {
            var seed = TestRNG(state: 78)
            let conv = Conv2D(2, 5, kernel: kernel, stride: stride, padding: padding,
                              kernels: ConvolutionKernels(shiftedRows: shifted, winograd: false), rng: &seed)
            conv.computesInputGradient = computes
            let y = conv.forward(x, training: true)
            var dyRNG = TestRNG(state: 79)
            let g = conv.backward(GradientCheck.randomTensor(y.n, y.c, y.h, y.w, &dyRNG))
            #expect(g.shape == x.shape)
            convs.append(conv)
        }
        #expect(convs[0].weight.gradient == convs[1].weight.gradient)
    }

    @Test func batchNorm() {
        var rng = TestRNG(state: 5)
        let bn = BatchNorm2D(3)
        for i in 0..<3 {
            bn.scale.value[i] = 0.5 + Float(i)
            bn.shift.value[i] = Float(i) - 1
        }
        GradientCheck.check(bn, input: GradientCheck.randomTensor(4, 3, 3, 5, &rng), rng: &rng)
    }

    @Test func reluAwayFromTheKink() {
        var rng = TestRNG(state: 6)
        let x = GradientCheck.randomTensor(2, 3, 4, 4, &rng)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.3 }
        GradientCheck.check(ReLU(), input: x, rng: &rng)
    }

    @Test(arguments: [(5, 5), (4, 7), (1, 1), (2, 3), (7, 19), (18, 3), (1, 20), (20, 1)])
    func averagePool3x3(h: Int, w: Int) {
        var rng = TestRNG(state: UInt64(h * 10 + w))
        GradientCheck.check(AveragePool3x3(), input: GradientCheck.randomTensor(2, 2, h, w, &rng), rng: &rng)
    }

    /// The forward pass against the brute-force mean of each position's in-bounds neighbours, on sizes
    /// whose flat planes are shorter and longer than the 16-float vectors of the AVX-512 path.
    @Test(arguments: [(1, 1), (1, 5), (5, 1), (2, 3), (3, 2), (7, 7), (14, 14), (28, 28), (17, 20)])
    func averagePool3x3MatchesBruteForce(h: Int, w: Int) {
        var rng = TestRNG(state: UInt64(h * 100 + w))
        let x = GradientCheck.randomTensor(3, 2, h, w, &rng)
        let y = AveragePool3x3().forward(x, training: false).data
        var worst: Float = 0
        for p in 0..<(x.n * x.c) {
            for i in 0..<h {
                for j in 0..<w {
                    var sum: Float = 0, count: Float = 0
                    for a in max(0, i - 1)...min(h - 1, i + 1) {
                        for b in max(0, j - 1)...min(w - 1, j + 1) {
                            sum += x.data[p * h * w + a * w + b]
                            count += 1
                        }
                    }
                    worst = max(worst, abs(y[p * h * w + i * w + j] - sum / count))
                }
            }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func averagePool2x2() {
        var rng = TestRNG(state: 8)
        GradientCheck.check(AveragePool2x2(), input: GradientCheck.randomTensor(2, 2, 6, 6, &rng), rng: &rng)
    }

    /// The auxiliary head's 5 × 5 stride-3 pooling: every window full, against the definition and finite
    /// differences on planes that leave a remainder (10 × 9 → 2 × 2).
    @Test func averagePoolWithStride() {
        var rng = TestRNG(state: 18)
        let x = GradientCheck.randomTensor(2, 3, 10, 9, &rng)
        let pool = AveragePool(kernel: 5, stride: 3)
        let y = pool.forward(x, training: true)
        #expect((y.n, y.c, y.h, y.w) == (2, 3, 2, 2))
        var expected: Float = 0
        for iy in 3..<8 { for ix in 0..<5 { expected += x.data[(1 * 3 + 2) * 90 + iy * 9 + ix] } }
        #expect(abs(y.data[(1 * 3 + 2) * 4 + 2] - expected / 25) < 1e-6)
        GradientCheck.check(pool, input: x, rng: &rng)
    }

    /// The whole auxiliary head (ReLU, pooling, two convolutions, two BNs, classifier) on an 8 × 8 plane.
    @Test func auxiliaryHead() {
        var rng = TestRNG(state: 19)
        let head = AuxiliaryHead(channels: 3, classes: 4, kernels: .generic, rng: &rng)
        let expected: Int = 3 * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 4 + 4
        #expect(head.parameters.reduce(0) { $0 + $1.count } == expected)
        let x = GradientCheck.awayFromZero(GradientCheck.randomTensor(16, 3, 8, 8, &rng))
        // Its BNs feed ReLUs (the 2 × 2 convolution rectifies its input): a few differences straddle a kink.
        GradientCheck.check(head, input: x, rng: &rng, samples: 30, eps: 1e-3, kinkAllowance: 0.03)
    }

    @Test func globalAveragePoolAndLinear() {
        var rng = TestRNG(state: 9)
        GradientCheck.check(GlobalAveragePool(), input: GradientCheck.randomTensor(2, 3, 4, 5, &rng), rng: &rng)
        GradientCheck.check(Linear(6, 4, rng: &rng), input: GradientCheck.randomTensor(3, 6, 1, 1, &rng), rng: &rng)
    }

    @Test func softmaxCrossEntropyGradient() {
        var rng = TestRNG(state: 10)
        let logits = GradientCheck.randomTensor(3, 5, 1, 1, &rng)
        let labels = [1, 4, 0]
        let ce = SoftmaxCrossEntropy()
        _ = ce.loss(logits, labels: labels[...])
        let analytic = ce.gradient.data
        for i in 0..<logits.count {
            let saved = logits.data[i]
            logits.data[i] = saved + 1e-2
            let plus = Double(ce.loss(logits, labels: labels[...]))
            logits.data[i] = saved - 1e-2
            let minus = Double(ce.loss(logits, labels: labels[...]))
            logits.data[i] = saved
            #expect(abs(Double(analytic[i]) - (plus - minus) / 2e-2) < 2e-3)
        }
    }

    @Test func channelMajorReordersSamplesAndChannels() {
        // 2 samples × 3 channels × 1 × 2: sample-major in, channel-major out, and back.
        let x = Tensor(n: 2, c: 3, h: 1, w: 2, data: [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121])
        let layer = ChannelMajor()
        let y = layer.forward(x, training: true)
        #expect(y.data == [0, 1, 100, 101, 10, 11, 110, 111, 20, 21, 120, 121])
        #expect(layer.backward(y).data == x.data)
        var rng = TestRNG(state: 11)
        GradientCheck.check(ChannelMajor(), input: GradientCheck.randomTensor(3, 2, 2, 3, &rng), rng: &rng)
        let one = Tensor(n: 4, c: 1, h: 2, w: 2, data: (0..<16).map(Float.init))
        #expect(ChannelMajor().forward(one, training: false) === one)  // one channel: already channel-major
    }

    @Test func knownForwardValues() {
        // A 1-channel 3×3 image, a 3×3 kernel of ones, padding 1: each output sums its neighbourhood.
        // im2col + OpenBLAS and the shifted rows sum exactly; Winograd F(4, 3)'s kernel transform holds
        // 1/6 and 1/24, so it is exact to a few roundings.
        let x = Tensor(n: 1, c: 1, h: 3, w: 3, data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let expected: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        for (shifted, winograd) in [(false, false), (true, false), (true, true)] {
            var rng = TestRNG(state: 1)
            let conv = Conv2D(1, 1, kernel: 3, stride: 1, padding: 1,
                              kernels: ConvolutionKernels(shiftedRows: shifted && CPUFeatures.avx512, winograd: winograd), rng: &rng)
            conv.weight.value = [Float](repeating: 1, count: 9)
            let y = conv.forward(x, training: false).data
            if winograd {
                #expect(zip(y, expected).allSatisfy { abs($0 - $1) <= 1e-5 * $1 }, "Winograd: \(y)")
            } else {
                #expect(y == expected, "shifted rows: \(shifted)")
            }
        }
        let pool = AveragePool3x3().forward(x, training: false).data
        #expect(pool[0] == (1 + 2 + 4 + 5) / 4)  // the corner averages 4 values, not 9
        #expect(pool[4] == 5)
    }
}
