import Foundation

/// 2-D convolution without bias (every NB201 convolution is followed by batch norm), square kernel,
/// stride and zero padding, on channel-major activations (`Tensor`). The arithmetic is one
/// `ConvolutionAlgorithm`, chosen once when the layer is made from the `ConvolutionKernels` it is given
/// (the trainer's settings pass them down): on AVX-512 CPUs a 3×3 convolution runs on the trainer's own
/// kernels (stride 1 as `WinogradConvolution`, stride 2 as `ShiftedConvolution`), everything else as
/// `Im2colConvolution` (im2col + OpenBLAS).
/// Weights are Kaiming-normal (fan-in, ReLU gain): N(0, 2 / (C·k·k)).
public final class Conv2D: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    /// Whether a ReLU in front of the convolution is fused into it: the layer computes W ∗ max(x, 0) and
    /// its input gradient is zero where x ≤ 0 (NB201's ReLU → Conv → BN without a separate ReLU pass).
    public let rectifiesInput: Bool
    /// The kernels the layer was allowed, and the algorithm it took.
    public let kernels: ConvolutionKernels
    let algorithm: any ConvolutionAlgorithm

    private var input: Tensor?
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)
    /// False for a network's first layer, whose input gradient nobody reads: `backward` then computes the
    /// weight gradient only and returns a gradient tensor of the input's shape with undefined contents.
    public var computesInputGradient = true

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                rectifiesInput: Bool = false, kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        self.rectifiesInput = rectifiesInput
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.kernels = kernels
        algorithm = kernels.algorithm(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding)
        let fanIn = Double(inChannels * kernel * kernel)
        let std = (2 / fanIn).squareRoot()
        weight = Parameter((0..<(outChannels * inChannels * kernel * kernel)).map { _ in Float(std * gaussian(&rng)) },
                           decays: true)
    }

    public var parameters: [Parameter] { [weight] }

    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        let (ho, wo) = outputSize(h: h, w: w)
        return outChannels * inChannels * kernel * kernel * ho * wo
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == inChannels, "Conv2D expects \(inChannels) channels, got \(x.c)")
        input = x
        algorithm.forward(x, weights: weight.value, rectify: rectifiesInput, into: output)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        algorithm.backward(x, dy, weights: weight.value, rectify: rectifiesInput, weightGradient: &weight.gradient,
                           gradInput: gradInput, computesInputGradient: computesInputGradient)
        return gradInput
    }
}

/// A standard normal draw (Marsaglia polar), for initialisation.
func gaussian(_ rng: inout some RandomNumberGenerator) -> Double {
    while true {
        let u = 2 * (Double(rng.next() >> 11) * 0x1p-53) - 1
        let v = 2 * (Double(rng.next() >> 11) * 0x1p-53) - 1
        let s = u * u + v * v
        if s > 0 && s < 1 { return u * (-2 * log(s) / s).squareRoot() }
    }
}
