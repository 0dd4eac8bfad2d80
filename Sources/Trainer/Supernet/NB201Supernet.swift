import Foundation

/// NB201's macro skeleton (as `NB201Network`) with every cell a `MixedCell`: the one-shot model of
/// differentiable NAS. Its architecture parameters come in one of two forms:
/// - `.shared` (ANASOD-DNAS, arXiv 2111.04670 Algorithm 1): one operation distribution p~ on the simplex
///   Δᵏ, the weights of every edge of every cell;
/// - `.perEdge` (DARTS): one logit vector αₑ per edge of the cell (shared by the cells, as DARTS on NB201),
///   the edge's weights softmax(αₑ).
/// `backward` accumulates the weights' gradients and, in `architectureGradient`, dL/dp~ or dL/dα.
public final class NB201Supernet: ClassifierNetwork {
    public enum Parameterization: String, Sendable, CaseIterable {
        case shared, perEdge = "per-edge"
    }

    public let parameterization: Parameterization
    public let cells: [MixedCell]
    let entry = ChannelMajor()
    let body: Sequential
    let head: Sequential
    /// `.shared`: p~ (k values, on the simplex); `.perEdge`: α, 6 × k logits, edge-major.
    public var architecture: [Double]

    public static var operationCount: Int { MixedOperation.operationCount }

    public init(parameterization: Parameterization, channels: Int, cellsPerStage: Int, inputChannels: Int, classes: Int,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        self.parameterization = parameterization
        let k = Self.operationCount
        architecture = parameterization == .shared ? [Double](repeating: 1 / Double(k), count: k) : [Double](repeating: 0, count: 6 * k)
        let stem = Conv2D(inputChannels, channels, kernel: 3, padding: 1, kernels: kernels, rng: &rng)
        stem.computesInputGradient = false
        var layers: [Layer] = [stem, BatchNorm2D(channels)]
        var cells = [MixedCell]()
        var c = channels
        for stage in 0..<3 {
            if stage > 0 {
                layers.append(ResidualReduction(c, 2 * c, kernels: kernels, rng: &rng))
                c *= 2
            }
            for _ in 0..<cellsPerStage {
                let cell = MixedCell(channels: c, kernels: kernels, rng: &rng)
                cells.append(cell)
                layers.append(cell)
            }
        }
        layers += [BatchNorm2D(c), ReLU(), GlobalAveragePool()]
        self.cells = cells
        body = Sequential(layers)
        head = Sequential([Linear(c, classes, rng: &rng)])
    }

    public var parameters: [Parameter] { body.parameters + head.parameters }

    public func multiplyAccumulates(h: Int, w: Int) -> Int { body.multiplyAccumulates(h: h, w: w) + head.multiplyAccumulates(h: 1, w: 1) }

    /// The weights of edge `e` (0 … 5) under the current architecture parameters.
    public func edgeWeights(_ e: Int) -> [Double] {
        let k = Self.operationCount
        switch parameterization {
        case .shared: return architecture
        case .perEdge: return Self.softmax(Array(architecture[(e * k)..<((e + 1) * k)]))
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        for e in 0..<6 {
            let w = edgeWeights(e).map(Float.init)
            for cell in cells { cell.edges[e].weights = w }
        }
        return head.forward(body.forward(entry.forward(x, training: training), training: training), training: training)
    }

    public func backward(_ gradLogits: Tensor, auxiliary: Tensor?) {
        _ = body.backward(head.backward(gradLogits))
    }

    /// Zeroes the architecture gradient the mixed operations accumulate.
    public func zeroArchitectureGradient() {
        for cell in cells { for edge in cell.edges { edge.weightGradient = [Double](repeating: 0, count: Self.operationCount) } }
    }

    /// dL/dp~ (`.shared`: the sum over every edge of every cell) or dL/dα (`.perEdge`: through each edge's
    /// softmax, summed over the cells), for what `backward` accumulated since the last zeroing.
    public func architectureGradient() -> [Double] {
        let k = Self.operationCount
        var perEdge = [[Double]](repeating: [Double](repeating: 0, count: k), count: 6)
        for cell in cells {
            for (e, edge) in cell.edges.enumerated() { for j in 0..<k { perEdge[e][j] += edge.weightGradient[j] } }
        }
        switch parameterization {
        case .shared:
            return (0..<k).map { j in perEdge.reduce(0) { $0 + $1[j] } }
        case .perEdge:
            return (0..<6).flatMap { e -> [Double] in
                let s = edgeWeights(e), g = perEdge[e]
                let inner = zip(s, g).reduce(0) { $0 + $1.0 * $1.1 }
                return (0..<k).map { s[$0] * (g[$0] - inner) }
            }
        }
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let top = z.max() ?? 0
        let e = z.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
