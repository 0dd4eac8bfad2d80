import ANASOD

/// DARTS's evaluation network (`NetworkCIFAR` of Liu et al.'s reference code) from a genotype: a stem
/// (3×3 convolution to 3C channels, BN), L cells with reduction cells at L/3 and 2L/3 (each doubling C),
/// every cell reading the outputs of the two cells before it, then global average pooling and a linear
/// classifier. Input planes must halve evenly at each reduction (32×32, 28×28). No auxiliary head or
/// drop-path yet.
public final class DARTSNetwork {
    let entry = ChannelMajor()
    let stem: Sequential
    public let cells: [DARTSCell]
    let head: Sequential
    private var gradients = [Tensor]()

    public init(genotype: Architecture, channels: Int, layers: Int, inputChannels: Int, classes: Int,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        precondition(genotype.cells.count == 2, "a DARTS genotype has a normal and a reduction cell")
        precondition(layers >= 1 && channels >= 1, "a DARTS network needs at least one cell and one channel")
        let stemChannels = 3 * channels
        stem = Sequential([Conv2D(inputChannels, stemChannels, kernel: 3, padding: 1, kernels: kernels, rng: &rng),
                           BatchNorm2D(stemChannels)])
        var previousPrevious = stemChannels, previous = stemChannels, current = channels
        var reductionBefore = false
        var cells = [DARTSCell]()
        for i in 0..<layers {
            let reduction = i == layers / 3 || i == 2 * layers / 3
            if reduction { current *= 2 }
            let cell = DARTSCell(cell: genotype.cells[reduction ? 1 : 0], previousPrevious: previousPrevious, previous: previous,
                                 channels: current, reduction: reduction, reductionBefore: reductionBefore, kernels: kernels, rng: &rng)
            cells.append(cell)
            reductionBefore = reduction
            (previousPrevious, previous) = (previous, cell.outputChannels)
        }
        self.cells = cells
        head = Sequential([GlobalAveragePool(), Linear(previous, classes, rng: &rng)])
    }

    public var parameters: [Parameter] { stem.parameters + cells.flatMap(\.parameters) + head.parameters }

    /// Trainable parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Logits (N × classes) of a batch of sample-major images.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let s = stem.forward(entry.forward(x, training: training), training: training)
        var (s0, s1) = (s, s)
        for cell in cells { (s0, s1) = (s1, cell.forward(s0, s1, training: training)) }
        return head.forward(s1, training: training)
    }

    /// Backpropagates dL/dlogits through the whole network.
    public func backward(_ gradLogits: Tensor) {
        // State t (0, 1: the stem's output; t ≥ 2: cell t − 2's): gradients summed from every reader.
        let count = cells.count + 2
        while gradients.count < count { gradients.append(Tensor(n: 0, c: 0)) }
        let top = head.backward(gradLogits)
        for t in 0..<count { gradients[t].resize(n: 0, c: 0, h: 0, w: 0) }
        func add(_ g: Tensor, to t: Int) {
            let target = gradients[t]
            if target.count == 0 {
                target.resize(n: g.n, c: g.c, h: g.h, w: g.w)
                target.data.replaceSubrange(0..<g.count, with: g.data.prefix(g.count))
            } else {
                for j in 0..<target.count { target.data[j] += g.data[j] }
            }
        }
        add(top, to: count - 1)
        for (k, cell) in cells.enumerated().reversed() {
            let (d0, d1) = cell.backward(gradients[k + 2])
            add(d0, to: k)
            add(d1, to: k + 1)
        }
        add(gradients[1], to: 0)  // the stem's output is both of the first cell's inputs
        _ = stem.backward(gradients[0])
    }
}
