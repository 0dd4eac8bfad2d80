import Foundation

/// Depthwise 2-D convolution (no bias): each channel convolved with its own k × k filter, with stride,
/// dilation and zero padding — the first half of DARTS's separable and dilated convolutions
/// (`sep_conv_3x3` … `dil_conv_5x5`). An optional fused ReLU in front, as in `Conv2D`. The arithmetic is
/// one `DepthwiseAlgorithm`, chosen once from the `ConvolutionKernels` the layer is given: on AVX-512 CPUs
/// `DepthwiseRows` (shifted rows of a padded plane), elsewhere `DepthwiseLoops` (portable loops). Both run
/// channels in parallel, each channel's sums in a fixed order, so results do not depend on the thread count.
/// Weights are Kaiming-normal with fan-in k²: N(0, 2 / k²).
public final class DepthwiseConv2D: Layer {
    public let channels: Int
    public let kernel: Int
    public let stride: Int
    public let dilation: Int
    public let padding: Int
    public let rectifiesInput: Bool
    /// W[c][ky][kx].
    public let weight: Parameter
    /// The kernels the layer was allowed, and the algorithm it took.
    public let kernels: ConvolutionKernels
    let algorithm: any DepthwiseAlgorithm

    private var input: Tensor?
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    /// - Parameter padding: nil: "same" for stride 1 (dilation · (k − 1) / 2), as DARTS pads.
    public init(channels: Int, kernel: Int, stride: Int = 1, dilation: Int = 1, padding: Int? = nil, rectifiesInput: Bool = false,
                kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        precondition(kernel >= 1 && stride >= 1 && dilation >= 1, "kernel, stride and dilation must be positive")
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padding = padding ?? dilation * (kernel - 1) / 2
        self.rectifiesInput = rectifiesInput
        self.kernels = kernels
        algorithm = kernels.depthwiseAlgorithm(DepthwiseGeometry(channels: channels, kernel: kernel, stride: stride, dilation: dilation,
                                                                 padding: self.padding))
        let std = (2 / Double(kernel * kernel)).squareRoot()
        weight = Parameter((0..<(channels * kernel * kernel)).map { _ in Float(std * gaussian(&rng)) }, decays: true)
    }

    public var parameters: [Parameter] { [weight] }

    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        DepthwiseGeometry(channels: channels, kernel: kernel, stride: stride, dilation: dilation, padding: padding).outputSize(h: h, w: w)
    }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        let (ho, wo) = outputSize(h: h, w: w)
        return channels * kernel * kernel * ho * wo
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.c == channels, "DepthwiseConv2D expects \(channels) channels, got \(x.c)")
        input = x
        algorithm.forward(x, weights: weight.value, rectify: rectifiesInput, into: output)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        algorithm.backward(x, dy, weights: weight.value, rectify: rectifiesInput, weightGradient: &weight.gradient, gradInput: gradInput)
        return gradInput
    }
}
