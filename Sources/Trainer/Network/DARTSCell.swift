import ANASOD

/// One cell of a DARTS network (Liu et al., ICLR 2019, the evaluation network `NetworkCIFAR`): its two
/// inputs (the outputs of the two cells before) preprocessed to C channels — ReLU-conv1×1-BN, or a
/// factorised reduce when the cell before last halved the plane — then 4 intermediate nodes, each the sum
/// of two operations on earlier states (in a reduction cell those reading the two inputs have stride 2),
/// and as output the concatenation of the 4 nodes (4C channels). A two-input layer: `forward(s0, s1)`,
/// `backward` returns both input gradients.
public final class DARTSCell {
    public let channels: Int
    public let reduction: Bool
    let preprocess0: Layer
    let preprocess1: Layer
    /// The 8 edges: the layer (nil for an identity `skip_connect`) and the state it reads.
    let edges: [(op: Layer?, source: Int)]
    private let nodes = (0..<4).map { _ in Tensor(n: 0, c: 0) }
    private let output = Tensor(n: 0, c: 0)
    private let grads = (0..<6).map { _ in Tensor(n: 0, c: 0) }
    private var states = [Tensor]()

    /// - Parameters:
    ///   - cell: the genotype's cell (DARTS space: 8 operations, 8 sources).
    ///   - previousPrevious, previous: the channels of the two inputs; `channels`: C of this cell.
    ///   - reductionBefore: whether the cell before this one was a reduction (its input 0 is twice as large).
    public init(cell: Cell, previousPrevious: Int, previous: Int, channels: Int, reduction: Bool, reductionBefore: Bool,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        precondition(cell.operations.count == 8 && cell.inputs.count == 8, "a DARTS cell has 8 edges")
        self.channels = channels
        self.reduction = reduction
        preprocess0 = reductionBefore
            ? FactorizedReduce(previousPrevious, channels, kernels: kernels, rng: &rng)
            : Sequential([Conv2D(previousPrevious, channels, kernel: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
                          BatchNorm2D(channels)])
        preprocess1 = Sequential([Conv2D(previous, channels, kernel: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
                                  BatchNorm2D(channels)])
        var edges = [(op: Layer?, source: Int)]()
        for e in 0..<8 {
            let source = cell.inputs[e]
            let stride = reduction && source < 2 ? 2 : 1
            let name = DARTSSearchSpace.operationNames[cell.operations[e]]
            edges.append((Self.operation(name, channels: channels, stride: stride, kernels: kernels, rng: &rng), source))
        }
        self.edges = edges
    }

    /// DARTS's operation `name` on C channels (nil: the identity).
    static func operation(_ name: String, channels c: Int, stride: Int, kernels: ConvolutionKernels,
                          rng: inout some RandomNumberGenerator) -> Layer? {
        switch name {
        case "sep_conv_3x3": return DARTSOperations.separable(channels: c, kernel: 3, stride: stride, kernels: kernels, rng: &rng)
        case "sep_conv_5x5": return DARTSOperations.separable(channels: c, kernel: 5, stride: stride, kernels: kernels, rng: &rng)
        case "dil_conv_3x3": return DARTSOperations.dilated(channels: c, kernel: 3, stride: stride, kernels: kernels, rng: &rng)
        case "dil_conv_5x5": return DARTSOperations.dilated(channels: c, kernel: 5, stride: stride, kernels: kernels, rng: &rng)
        case "max_pool_3x3": return Pool3x3(.max, stride: stride)
        case "avg_pool_3x3": return Pool3x3(.average, stride: stride)
        case "skip_connect": return stride == 1 ? nil : FactorizedReduce(c, c, kernels: kernels, rng: &rng)
        default: preconditionFailure("'\(name)' is not a DARTS operation")
        }
    }

    public var parameters: [Parameter] {
        preprocess0.parameters + preprocess1.parameters + edges.flatMap { $0.op?.parameters ?? [] }
    }

    public var outputChannels: Int { 4 * channels }

    public func forward(_ s0: Tensor, _ s1: Tensor, training: Bool) -> Tensor {
        states = [preprocess0.forward(s0, training: training), preprocess1.forward(s1, training: training)]
        for i in 0..<4 {
            let node = nodes[i]
            for k in 0..<2 {
                let (op, source) = edges[2 * i + k]
                let value = op?.forward(states[source], training: training) ?? states[source]
                if k == 0 {
                    node.resize(n: value.n, c: value.c, h: value.h, w: value.w)
                    node.data.replaceSubrange(0..<value.count, with: value.data.prefix(value.count))
                } else {
                    precondition(value.shape == node.shape, "DARTS cell: node \(i + 2)'s two inputs disagree in shape")
                    for j in 0..<node.count { node.data[j] += value.data[j] }
                }
            }
            states.append(node)
        }
        // Channel-major: concatenating channels is appending the planes.
        let first = nodes[0], block = first.count
        output.resize(n: first.n, c: 4 * first.c, h: first.h, w: first.w)
        for (i, node) in nodes.enumerated() { output.data.replaceSubrange((i * block)..<((i + 1) * block), with: node.data.prefix(block)) }
        return output
    }

    public func backward(_ dy: Tensor) -> (Tensor, Tensor) {
        precondition(states.count == 6, "backward before forward")
        for j in 0..<6 { grads[j].resize(n: states[j].n, c: states[j].c, h: states[j].h, w: states[j].w, zero: true) }
        let block = nodes[0].count
        for i in 0..<4 { grads[i + 2].data.replaceSubrange(0..<block, with: dy.data[(i * block)..<((i + 1) * block)]) }
        // A node feeds only later nodes: in reverse order each node's gradient is complete when it is used.
        for i in (0..<4).reversed() {
            let g = grads[i + 2]
            for k in 0..<2 {
                let (op, source) = edges[2 * i + k]
                let back = op?.backward(g) ?? g
                let target = grads[source]
                for j in 0..<target.count { target.data[j] += back.data[j] }
            }
        }
        return (preprocess0.backward(grads[0]), preprocess1.backward(grads[1]))
    }
}
