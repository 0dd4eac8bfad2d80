/// One edge of a supernet: the weighted sum Σⱼ wⱼ·opⱼ(x) of NB201's k = 5 candidate operations (`none`
/// contributes zero, `skip_connect` is x itself, `nor_conv_1x1` / `nor_conv_3x3` are ReLU-Conv-BN,
/// `avg_pool_3x3`), with the weights w set before each forward (the supernet's architecture parameters).
/// Backward gives dL/dx, accumulates every operation's parameter gradient (scaled by its weight) and adds
/// dL/dwⱼ = ⟨dL/dy, opⱼ(x)⟩ to `weightGradient`.
public final class MixedOperation: Layer {
    public static let operationCount = 5
    /// The candidate layers (nil: `none` at 0 and `skip_connect` at 1, which have none).
    let candidates: [Layer?]
    /// The weight of each candidate in the next forward.
    public var weights: [Float]
    /// dL/dw, accumulated until the caller zeroes it.
    public var weightGradient: [Double]
    private var input: Tensor?
    private var outputs = [Tensor?](repeating: nil, count: MixedOperation.operationCount)
    private let output = Tensor(n: 0, c: 0)
    private let scaled = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init(channels c: Int, kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        candidates = [
            nil, nil,
            Sequential([Conv2D(c, c, kernel: 1, rectifiesInput: true, kernels: kernels, rng: &rng), BatchNorm2D(c)]),
            Sequential([Conv2D(c, c, kernel: 3, padding: 1, rectifiesInput: true, kernels: kernels, rng: &rng), BatchNorm2D(c)]),
            AveragePool3x3(),
        ]
        weights = [Float](repeating: 1 / Float(Self.operationCount), count: Self.operationCount)
        weightGradient = [Double](repeating: 0, count: Self.operationCount)
    }

    public var parameters: [Parameter] { candidates.compactMap { $0 }.flatMap(\.parameters) }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        candidates.compactMap { $0 }.reduce(0) { $0 + $1.multiplyAccumulates(h: h, w: w) }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        output.resize(like: x, zero: true)
        for j in 1..<Self.operationCount {
            let y = j == 1 ? x : candidates[j]!.forward(x, training: training)
            outputs[j] = y
            let w = weights[j]
            for i in 0..<y.count { output.data[i] += w * y.data[i] }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        gradInput.resize(like: x, zero: true)
        for j in 1..<Self.operationCount {
            guard let y = outputs[j] else { continue }
            var dot = 0.0
            for i in 0..<dy.count { dot += Double(dy.data[i]) * Double(y.data[i]) }
            weightGradient[j] += dot
            let w = weights[j]
            if j == 1 {
                for i in 0..<dy.count { gradInput.data[i] += w * dy.data[i] }
                continue
            }
            scaled.resize(like: dy)
            for i in 0..<dy.count { scaled.data[i] = w * dy.data[i] }
            let dx = candidates[j]!.backward(scaled)
            for i in 0..<dx.count { gradInput.data[i] += dx.data[i] }
        }
        return gradInput
    }
}
