import Testing
@testable import Trainer

/// DARTS's pooling and compound convolutions: shapes, the definition, and finite differences on odd sizes.
@Suite struct DARTSOperationTests {
    /// Pooling by its definition: the 3×3 window at (oy·s − 1, ox·s − 1), clipped to the plane.
    func reference(_ x: Tensor, _ kind: Pool3x3.Kind, stride: Int) -> [Float] {
        let ho = (x.h - 1) / stride + 1, wo = (x.w - 1) / stride + 1
        var y = [Float]()
        for plane in 0..<(x.c * x.n) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var values = [Float]()
                    for iy in (oy * stride - 1)...(oy * stride + 1) where iy >= 0 && iy < x.h {
                        for ix in (ox * stride - 1)...(ox * stride + 1) where ix >= 0 && ix < x.w {
                            values.append(x.data[(plane * x.h + iy) * x.w + ix])
                        }
                    }
                    y.append(kind == .max ? values.max()! : values.reduce(0, +) / Float(values.count))
                }
            }
        }
        return y
    }

    @Test(arguments: [(7, 5, 1), (7, 9, 2), (1, 2, 2), (8, 8, 2), (3, 1, 1)])
    func poolingIsTheDefinitionAndItsGradient(h: Int, w: Int, stride: Int) {
        var rng = TestRNG(state: UInt64(h * 31 + w * 7 + stride))
        for kind in [Pool3x3.Kind.max, .average] {
            let pool = Pool3x3(kind, stride: stride)
            let x = GradientCheck.randomTensor(2, 3, h, w, &rng)
            let y = pool.forward(x, training: true)
            #expect(y.h == (h - 1) / stride + 1 && y.w == (w - 1) / stride + 1)
            #expect(zip(y.data, reference(x, kind, stride: stride)).allSatisfy { abs($0 - $1) <= 1e-6 })
            // Random inputs have no ties, so max pooling is differentiable at them.
            GradientCheck.check(pool, input: GradientCheck.randomTensor(2, 3, h, w, &rng), rng: &rng, eps: 1e-3)
        }
    }

    @Test(arguments: [(3, 1), (5, 1), (3, 2), (5, 2)])
    func separableAndDilatedConvolutionsKeepOrHalveThePlaneAndTheirGradients(kernel: Int, stride: Int) {
        var rng = TestRNG(state: UInt64(kernel * 10 + stride))
        for op in [DARTSOperations.separable(channels: 3, kernel: kernel, stride: stride, kernels: .generic, rng: &rng),
                   DARTSOperations.dilated(channels: 3, kernel: kernel, stride: stride, kernels: .generic, rng: &rng)] {
            let x = GradientCheck.randomTensor(3, 3, 7, 9, &rng)
            let y = op.forward(x, training: true)
            #expect(y.c == 3 && y.h == (stride == 1 ? 7 : 4) && y.w == (stride == 1 ? 9 : 5))
            // Batch norm then a fused ReLU: a few central differences straddle a kink.
            GradientCheck.check(op, input: x, rng: &rng, samples: 30, eps: 3e-4, kinkAllowance: 0.1)
        }
    }

    /// The parameter counts DARTS's reference implementation gives these operations (C = 16): per
    /// depthwise layer C·k², per pointwise C², per BN 2C (affine).
    @Test func parameterCountsAreDARTSs() {
        var rng = TestRNG(state: 3)
        func count(_ layer: Layer) -> Int { layer.parameters.reduce(0) { $0 + $1.value.count } }
        let c = 16
        func dilatedCount(_ k: Int) -> Int { c * k * k + c * c + 2 * c }
        let sep3 = count(DARTSOperations.separable(channels: c, kernel: 3, stride: 1, rng: &rng))
        let sep5 = count(DARTSOperations.separable(channels: c, kernel: 5, stride: 2, rng: &rng))
        let dil3 = count(DARTSOperations.dilated(channels: c, kernel: 3, stride: 1, rng: &rng))
        let dil5 = count(DARTSOperations.dilated(channels: c, kernel: 5, stride: 2, rng: &rng))
        #expect(sep3 == 2 * dilatedCount(3))
        #expect(sep5 == 2 * dilatedCount(5))
        #expect(dil3 == dilatedCount(3))
        #expect(dil5 == dilatedCount(5))
    }
}

/// DARTS's factorised reduce.
@Suite struct FactorizedReduceTests {
    @Test func halvesThePlaneReadsBothPhasesAndHasTheRightGradients() {
        var rng = TestRNG(state: 11)
        let reduce = FactorizedReduce(3, 6, kernels: .generic, rng: &rng)
        let weights: Int = reduce.parameters.reduce(0) { $0 + $1.value.count }
        let darts: Int = 2 * (3 * 3) + 2 * 6  // 2 × C_in·C_out/2, and BN's scale and shift
        #expect(weights == darts)
        let x = GradientCheck.randomTensor(4, 3, 6, 8, &rng)
        let y = reduce.forward(x, training: true)
        #expect(y.shape == [4, 6, 3, 4])
        GradientCheck.check(reduce, input: x, rng: &rng, samples: 40, eps: 3e-4, kinkAllowance: 0.1)
        // The second half of the channels sees only the odd pixels: changing an even one leaves it alone.
        let probe = FactorizedReduce(1, 2, kernels: .generic, rng: &rng)
        let base = Tensor(n: 2, c: 1, h: 4, w: 4, data: (0..<32).map { Float($0 % 5) + 1 })
        let before = Array(probe.forward(base, training: false).data)
        var changed = base.data
        changed[0] += 3  // sample 0, pixel (0, 0): even row, even column
        let after = Array(probe.forward(Tensor(n: 2, c: 1, h: 4, w: 4, data: changed), training: false).data)
        #expect(before[8..<16] == after[8..<16])  // channel 1 (the shifted convolution) unchanged
        #expect(before[0..<8] != after[0..<8])
    }
}
