import ANASOD

/// One cell of a DARTS network (Liu et al., ICLR 2019, the evaluation network `NetworkCIFAR`): its two
/// inputs (the outputs of the two cells before) preprocessed to C channels — ReLU-conv1×1-BN, or a
/// factorised reduce when the cell before last halved the plane — then 4 intermediate nodes, each the sum
/// of two operations on earlier states (in a reduction cell those reading the two inputs have stride 2),
/// and as output the concatenation of the 4 nodes (4C channels). A two-input layer: `forward(s0, s1)`,
/// `backward` returns both input gradients. In training, drop-path (`dropProbability` > 0) zeroes each
/// non-identity edge's output for a random subset of the batch and scales the rest by 1 / (1 − p), as
/// the reference code's `drop_path`; the masks come from the cell's own seeded generator.
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
    /// Drop-path: the probability of dropping an edge's output for a sample (training only).
    public var dropProbability: Float = 0
    var rng: SplitMix
    /// Per edge: the per-sample scale of the last forward (empty: the edge was not dropped) and its output.
    private(set) var masks = [[Float]](repeating: [], count: 8)
    private let dropped = (0..<8).map { _ in Tensor(n: 0, c: 0) }
    private let droppedGrad = Tensor(n: 0, c: 0)

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
        self.rng = SplitMix(state: rng.next())
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

    /// Multiply-accumulates per sample when input 1 is `h × w` (input 0 is twice as large after a reduction).
    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        let factorized = preprocess0 is FactorizedReduce
        var total = preprocess0.multiplyAccumulates(h: factorized ? 2 * h : h, w: factorized ? 2 * w : w)
            + preprocess1.multiplyAccumulates(h: h, w: w)
        for (op, source) in edges {
            guard let op else { continue }
            let (sh, sw) = source < 2 ? (h, w) : outputSize(h: h, w: w)
            total += op.multiplyAccumulates(h: sh, w: sw)
        }
        return total
    }

    /// The output plane when input 1 is `h × w`.
    public func outputSize(h: Int, w: Int) -> (Int, Int) { reduction ? ((h + 1) / 2, (w + 1) / 2) : (h, w) }

    /// The edge's output with drop-path applied (a copy: the operation's own output stays as it computed it).
    private func drop(_ value: Tensor, edge: Int) -> Tensor {
        let keep = 1 - dropProbability
        var mask = [Float](repeating: 0, count: value.n)
        for i in 0..<value.n where Float(Double(rng.next() >> 11) * 0x1p-53) < keep { mask[i] = 1 / keep }
        masks[edge] = mask
        return Self.scale(value, bySample: mask, into: dropped[edge])
    }

    /// dL/d(edge output) from dL/d(dropped output): the same per-sample scale.
    private func undrop(_ g: Tensor, edge: Int) -> Tensor { Self.scale(g, bySample: masks[edge], into: droppedGrad) }

    /// `out` = x with every sample i (channel-major layout) multiplied by `factors[i]`.
    static func scale(_ x: Tensor, bySample factors: [Float], into out: Tensor) -> Tensor {
        let n = x.n, plane = x.h * x.w
        out.resize(n: n, c: x.c, h: x.h, w: x.w)
        x.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<x.c {
                    for i in 0..<n {
                        let base = (ch * n + i) * plane, m = factors[i]
                        for j in base..<(base + plane) { dst[j] = src[j] * m }
                    }
                }
            }
        }
        return out
    }

    public func forward(_ s0: Tensor, _ s1: Tensor, training: Bool) -> Tensor {
        states = [preprocess0.forward(s0, training: training), preprocess1.forward(s1, training: training)]
        for i in 0..<4 {
            let node = nodes[i]
            for k in 0..<2 {
                let (op, source) = edges[2 * i + k]
                var value = op?.forward(states[source], training: training) ?? states[source]
                masks[2 * i + k] = []
                if training && dropProbability > 0 && op != nil { value = drop(value, edge: 2 * i + k) }
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
                let scaled = masks[2 * i + k].isEmpty ? g : undrop(g, edge: 2 * i + k)
                let back = op?.backward(scaled) ?? g
                let target = grads[source]
                for j in 0..<target.count { target.data[j] += back.data[j] }
            }
        }
        return (preprocess0.backward(grads[0]), preprocess1.backward(grads[1]))
    }
}
