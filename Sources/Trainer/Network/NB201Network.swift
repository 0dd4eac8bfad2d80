/// The NB201 macro skeleton (Dong & Yang, ICLR 2020; arXiv 2111.04670 §4) around one cell:
/// stem Conv3×3(in → C) + BN; stage 1: N cells on C channels; reduction to 2C; stage 2: N cells; reduction
/// to 4C; stage 3: N cells; BN + ReLU; global average pooling; linear classifier. Takes sample-major
/// N × C × H × W images; inside, activations are channel-major (see `Tensor`).
public final class NB201Network: ClassifierNetwork {
    public let channels: Int
    public let cellsPerStage: Int
    public let classes: Int
    /// Sample-major images to channel-major activations (no backward pass: the input needs no gradient).
    let entry = ChannelMajor()
    let body: Sequential
    let head: Sequential

    /// - Parameters:
    ///   - operations: the cell's 6 edge ops in NB201 order (see `NB201Cell`).
    /// - Parameter kernels: the convolution algorithms its layers may use (the trainer's settings).
    public init(operations: [Int], channels: Int, cellsPerStage: Int, inputChannels: Int, classes: Int,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        self.channels = channels
        self.cellsPerStage = cellsPerStage
        self.classes = classes
        let stem = Conv2D(inputChannels, channels, kernel: 3, padding: 1, kernels: kernels, rng: &rng)
        stem.computesInputGradient = false
        var layers: [Layer] = [stem, BatchNorm2D(channels)]
        var c = channels
        for stage in 0..<3 {
            if stage > 0 {
                layers.append(ResidualReduction(c, 2 * c, kernels: kernels, rng: &rng))
                c *= 2
            }
            for _ in 0..<cellsPerStage { layers.append(NB201Cell(channels: c, operations: operations, kernels: kernels, rng: &rng)) }
        }
        layers += [BatchNorm2D(c), ReLU(), GlobalAveragePool()]
        body = Sequential(layers)
        head = Sequential([Linear(c, classes, rng: &rng)])
    }

    public var parameters: [Parameter] { body.parameters + head.parameters }

    /// Multiply-accumulates of one forward pass for an `h × w` input.
    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        var total = 0
        var (hh, ww) = (h, w)
        for layer in body.layers {
            total += layer.multiplyAccumulates(h: hh, w: ww)
            if layer is ResidualReduction { (hh, ww) = ((hh + 1) / 2, (ww + 1) / 2) }
        }
        return total + head.multiplyAccumulates(h: 1, w: 1)
    }

    /// Logits (N × classes) of a batch.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        head.forward(body.forward(entry.forward(x, training: training), training: training), training: training)
    }

    /// Backpropagates dL/dlogits through the whole network.
    public func backward(_ gradLogits: Tensor, auxiliary: Tensor?) {
        _ = body.backward(head.backward(gradLogits))
    }
}
