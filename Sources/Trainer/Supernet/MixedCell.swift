/// An NB201 cell of mixed operations (a supernet's cell): 4 nodes, node j the sum over its incoming
/// edges i → j of mixedᵢⱼ(node i), node 3 the output. Edges in arch-string order, as `NB201Cell`.
public final class MixedCell: Layer {
    public let edges: [MixedOperation]
    private var values = [Tensor]()
    private let buffers = (0..<4).map { _ in Tensor(n: 0, c: 0) }
    private let gradients = (0..<4).map { _ in Tensor(n: 0, c: 0) }

    public init(channels: Int, kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        edges = (0..<6).map { _ in MixedOperation(channels: channels, kernels: kernels, rng: &rng) }
    }

    public var parameters: [Parameter] { edges.flatMap(\.parameters) }

    public func multiplyAccumulates(h: Int, w: Int) -> Int { edges.reduce(0) { $0 + $1.multiplyAccumulates(h: h, w: w) } }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        values = [x]
        for j in 1...3 {
            let node = buffers[j]
            node.resize(like: x, zero: true)
            for e in 0..<6 where NB201Cell.targets[e] == j {
                let y = edges[e].forward(values[NB201Cell.sources[e]], training: training)
                for i in 0..<y.count { node.data[i] += y.data[i] }
            }
            values.append(node)
        }
        return values[3]
    }

    public func backward(_ dy: Tensor) -> Tensor {
        for j in 0..<3 { gradients[j].resize(like: dy, zero: true) }
        for e in (0..<6).reversed() {
            let t = NB201Cell.targets[e]
            let g = t == 3 ? dy : gradients[t]
            let dx = edges[e].backward(g)
            let target = gradients[NB201Cell.sources[e]]
            for i in 0..<dx.count { target.data[i] += dx.data[i] }
        }
        return gradients[0]
    }
}
