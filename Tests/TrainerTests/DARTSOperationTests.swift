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
        #expect(count(DARTSOperations.separable(channels: c, kernel: 3, stride: 1, rng: &rng)) == 2 * (c * 9 + c * c + 2 * c))
        #expect(count(DARTSOperations.separable(channels: c, kernel: 5, stride: 2, rng: &rng)) == 2 * (c * 25 + c * c + 2 * c))
        #expect(count(DARTSOperations.dilated(channels: c, kernel: 3, stride: 1, rng: &rng)) == c * 9 + c * c + 2 * c)
        #expect(count(DARTSOperations.dilated(channels: c, kernel: 5, stride: 2, rng: &rng)) == c * 25 + c * c + 2 * c)
    }
}
