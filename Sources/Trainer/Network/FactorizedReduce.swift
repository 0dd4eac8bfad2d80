/// DARTS's factorised reduce: ReLU, then two 1×1 convolutions of stride 2, the second on the input
/// shifted by one pixel down and right (`x[:, :, 1:, 1:]`), their outputs concatenated along channels,
/// then batch norm. It halves the plane (even sizes, as DARTS's networks have) where a reduction cell's
/// `skip_connect` and the preprocessing after a reduction need it. The ReLU is fused into the convolutions.
public final class FactorizedReduce: Layer {
    public let inChannels: Int
    public let outChannels: Int
    let first: Conv2D
    let second: Conv2D
    let norm: BatchNorm2D
    private let shifted = Tensor(n: 0, c: 0)
    private let joined = Tensor(n: 0, c: 0)
    private let gradFirst = Tensor(n: 0, c: 0)
    private let gradSecond = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init(_ inChannels: Int, _ outChannels: Int, kernels: ConvolutionKernels = .environment,
                rng: inout some RandomNumberGenerator) {
        precondition(outChannels >= 2, "a factorised reduce needs at least two output channels")
        self.inChannels = inChannels
        self.outChannels = outChannels
        first = Conv2D(inChannels, outChannels / 2, kernel: 1, stride: 2, rectifiesInput: true, kernels: kernels, rng: &rng)
        second = Conv2D(inChannels, outChannels - outChannels / 2, kernel: 1, stride: 2, rectifiesInput: true, kernels: kernels, rng: &rng)
        norm = BatchNorm2D(outChannels)
    }

    public var parameters: [Parameter] { first.parameters + second.parameters + norm.parameters }

    public func multiplyAccumulates(h: Int, w: Int) -> Int { first.multiplyAccumulates(h: h, w: w) + second.multiplyAccumulates(h: h, w: w) }

    public func outputSize(h: Int, w: Int) -> (Int, Int) { (h / 2, w / 2) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.h % 2 == 0 && x.w % 2 == 0, "a factorised reduce needs an even plane, got \(x.h) × \(x.w)")
        let n = x.n, c = x.c, h = x.h, w = x.w
        // shifted[y][x] = x[y + 1][x + 1], 0 past the last row and column (a stride-2 1×1 convolution reads
        // only the even positions, which are the odd ones of x).
        shifted.resize(n: n, c: c, h: h, w: w, zero: true)
        for plane in 0..<(c * n) {
            for y in 0..<(h - 1) {
                for col in 0..<(w - 1) { shifted.data[(plane * h + y) * w + col] = x.data[(plane * h + y + 1) * w + col + 1] }
            }
        }
        let a = first.forward(x, training: training)
        let b = second.forward(shifted, training: training)
        // Channel-major: concatenating channels is appending the planes.
        joined.resize(n: n, c: a.c + b.c, h: a.h, w: a.w)
        joined.data.replaceSubrange(0..<a.count, with: a.data.prefix(a.count))
        joined.data.replaceSubrange(a.count..<(a.count + b.count), with: b.data.prefix(b.count))
        return norm.forward(joined, training: training)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let g = norm.backward(dy)
        let half = outChannels / 2, plane = g.n * g.h * g.w
        gradFirst.resize(n: g.n, c: half, h: g.h, w: g.w)
        gradFirst.data.replaceSubrange(0..<(half * plane), with: g.data[0..<(half * plane)])
        gradSecond.resize(n: g.n, c: outChannels - half, h: g.h, w: g.w)
        gradSecond.data.replaceSubrange(0..<((outChannels - half) * plane), with: g.data[(half * plane)..<(outChannels * plane)])
        let da = first.backward(gradFirst)
        let db = second.backward(gradSecond)
        let n = da.n, c = da.c, h = da.h, w = da.w
        gradInput.resize(n: n, c: c, h: h, w: w)
        for i in 0..<(n * c * h * w) { gradInput.data[i] = da.data[i] }
        for p in 0..<(c * n) {
            for y in 0..<(h - 1) {
                for col in 0..<(w - 1) { gradInput.data[(p * h + y + 1) * w + col + 1] += db.data[(p * h + y) * w + col] }
            }
        }
        return gradInput
    }
}
