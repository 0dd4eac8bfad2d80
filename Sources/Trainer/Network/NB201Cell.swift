/// One NB201 cell on C channels (Dong & Yang, ICLR 2020): 4 nodes, node 0 the input, node j the sum of
/// its incoming edges op_{i→j}(node i), node 3 the output. Edge ops: `none` (elided: costs nothing),
/// `skip_connect` (identity), `nor_conv_1x1` / `nor_conv_3x3` (ReLU → Conv → BN, the ReLU fused into the
/// convolution), `avg_pool_3x3`
/// (stride 1, padding excluded from the count). A node reached only through `none` edges, or only from
/// zero nodes, is zero and is never computed; if the output node is zero the cell outputs zeros.
///
/// Ops are given by index in NB201's order: 0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3,
/// 4 avg_pool_3x3; edges in arch-string order (into node 1 from 0; into 2 from 0, 1; into 3 from 0, 1, 2).
public final class NB201Cell: Layer {
    public static let sources = [0, 0, 1, 0, 1, 2]
    public static let targets = [1, 2, 2, 3, 3, 3]

    public let channels: Int
    public let operations: [Int]
    /// The layer of each edge; nil for `none` and for `skip_connect`.
    let edges: [Layer?]
    /// Whether each node carries a signal.
    let live: [Bool]
    /// Each node's value in the current forward pass: the input, a lone incoming edge's output itself, or
    /// the sum of several in the node's buffer. Layers write their outputs only in their own forward
    /// pass, so these references stay valid through the backward pass.
    private var values = [Tensor]()
    private let buffers = (0..<4).map { _ in Tensor(n: 0, c: 0) }
    private let gradientBuffers = (0..<4).map { _ in Tensor(n: 0, c: 0) }
    private var input: Tensor?

    public init(channels: Int, operations: [Int], kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        precondition(operations.count == 6 && operations.allSatisfy { (0...4).contains($0) }, "an NB201 cell has 6 edges with ops 0...4")
        self.channels = channels
        self.operations = operations
        var live = [true, false, false, false]
        for (e, op) in operations.enumerated() where op != 0 && live[Self.sources[e]] { live[Self.targets[e]] = true }
        self.live = live
        values = buffers
        edges = operations.enumerated().map { e, op -> Layer? in
            guard live[Self.sources[e]] else { return nil }
            switch op {
            case 2: return Sequential([Conv2D(channels, channels, kernel: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
                                       BatchNorm2D(channels)])
            case 3: return Sequential([Conv2D(channels, channels, kernel: 3, padding: 1, rectifiesInput: true, kernels: kernels, rng: &rng),
                                       BatchNorm2D(channels)])
            case 4: return AveragePool3x3()
            default: return nil
            }
        }
    }

    public var parameters: [Parameter] { edges.compactMap { $0 }.flatMap(\.parameters) }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        edges.compactMap { $0 }.reduce(0) { $0 + $1.multiplyAccumulates(h: h, w: w) }
    }

    func active(_ e: Int) -> Bool { operations[e] != 0 && live[Self.sources[e]] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        values[0] = x
        for j in 1...3 {
            guard live[j] else {
                buffers[j].resize(like: x, zero: true)
                values[j] = buffers[j]
                continue
            }
            var terms = [Tensor]()
            for e in 0..<6 where Self.targets[e] == j && active(e) {
                let source = values[Self.sources[e]]
                terms.append(edges[e]?.forward(source, training: training) ?? source)  // skip: identity
            }
            values[j] = Elementwise.total(terms, into: buffers[j])
        }
        return values[3]
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        // A node's gradient is the sum of what its outgoing edges send back, taken when the edges into it
        // need it (or at the end, for the input); a lone contribution is used as it is, no copy. Node 3's
        // gradient is dy itself.
        var contributions: [[Tensor]] = [[], [], [], [dy]]
        func gradient(_ j: Int) -> Tensor {
            if contributions[j].isEmpty {
                gradientBuffers[j].resize(like: x, zero: true)
                return gradientBuffers[j]
            }
            return Elementwise.total(contributions[j], into: gradientBuffers[j])
        }
        // Edges in reverse topological order: all edges into node 3, then into 2, then into 1, so a node's
        // contributions are all in before the edges into it read its gradient.
        var current = 3
        var g = dy
        for e in (0..<6).reversed() where active(e) && live[Self.targets[e]] {
            let t = Self.targets[e]
            if t != current {
                current = t
                g = gradient(t)
            }
            // Each edge owns its layer, which still holds its forward pass; skip_connect passes g through.
            contributions[Self.sources[e]].append(edges[e]?.backward(g) ?? g)
        }
        return gradient(0)
    }
}
