/// NB201's reduction block between stages (ResNet basic block, stride 2):
/// y = BN(Conv3×3(ReLU(BN(Conv3×3/2(ReLU(x)))))) + Conv1×1(AvgPool2×2(x)) (the ReLUs fused into the convolutions).
public final class ResidualReduction: Layer {
    let main: Sequential
    let shortcut: Sequential
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init(_ inChannels: Int, _ outChannels: Int, kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        main = Sequential([
            Conv2D(inChannels, outChannels, kernel: 3, stride: 2, padding: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
            BatchNorm2D(outChannels),
            Conv2D(outChannels, outChannels, kernel: 3, padding: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
            BatchNorm2D(outChannels),
        ])
        shortcut = Sequential([AveragePool2x2(), Conv2D(inChannels, outChannels, kernel: 1, kernels: kernels, rng: &rng)])
    }

    public var parameters: [Parameter] { main.parameters + shortcut.parameters }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        main.multiplyAccumulates(h: h, w: w) + shortcut.layers[1].multiplyAccumulates(h: h / 2, w: w / 2)
    }

    public func outputSize(h: Int, w: Int) -> (Int, Int) { main.outputSize(h: h, w: w) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a = main.forward(x, training: training)
        let b = shortcut.forward(x, training: training)
        precondition(a.shape == b.shape, "reduction branches disagree: \(a.shape) vs \(b.shape) (odd input size?)")
        Elementwise.sum(a, b, into: output)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let ga = main.backward(dy)
        let gb = shortcut.backward(dy)
        Elementwise.sum(ga, gb, into: gradInput)
        return gradInput
    }
}
