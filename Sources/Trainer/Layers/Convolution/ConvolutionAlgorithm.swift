/// One way of computing a convolution (no bias) of the layer's geometry: a `Conv2D` holds one, chosen
/// once when the layer is made from its `ConvolutionKernels`. The layer owns the weights and their
/// gradient; an algorithm owns its scratch memory.
protocol ConvolutionAlgorithm: AnyObject {
    /// Y = W ∗ x (or W ∗ max(x, 0) with `rectify`), written into `output` (resized).
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor)
    /// dW += the weight gradient; `gradInput` (resized like x) = the input gradient unless
    /// `computesInputGradient` is false (then its contents are undefined). `x` is the forward's input.
    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor,
                  computesInputGradient: Bool)
}

extension ShiftedConvolution: ConvolutionAlgorithm {}
extension WinogradConvolution: ConvolutionAlgorithm {}

/// Which convolution algorithms a network may use; each layer picks among them once, by its geometry.
/// Passed down from the trainer's settings (`TrainingSettings.kernels`), so that tests and benchmarks
/// compare paths per network, never by flipping process-wide state.
public struct ConvolutionKernels: Sendable, Hashable {
    /// 3×3 convolutions of stride 1 or 2 may run on the AVX-512 shifted-row kernels (never true on a CPU
    /// without AVX-512: the kernels would stop the process with an illegal instruction).
    public private(set) var shiftedRows: Bool
    /// A stride-1 3×3 convolution on those kernels runs as Winograd F(4, 3) down the columns.
    public var winograd: Bool

    /// - Parameter shiftedRows: asked for; granted only where the CPU has AVX-512.
    public init(shiftedRows: Bool, winograd: Bool) {
        self.shiftedRows = shiftedRows && CPUFeatures.avx512
        self.winograd = winograd
    }

    /// im2col + OpenBLAS everywhere (portable).
    public static let generic = ConvolutionKernels(shiftedRows: false, winograd: false)
    /// Shifted rows for every 3×3 (no Winograd), where the CPU has AVX-512.
    public static let shifted = ConvolutionKernels(shiftedRows: CPUFeatures.avx512, winograd: false)
    /// The fastest this CPU has: Winograd rows for stride 1, shifted rows for stride 2 (AVX-512).
    public static let fastest = ConvolutionKernels(shiftedRows: CPUFeatures.avx512, winograd: true)

    /// The process default: `ANASOD_TRAINER_KERNELS` (`auto`, `shifted`, `generic`; read once, here).
    public static let environment: ConvolutionKernels = {
        switch ShiftedConvolution.requested {
        case "generic": .generic
        case "shifted": .shifted
        default: .fastest
        }
    }()

    /// The algorithm for a convolution of this geometry.
    func algorithm(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int) -> any ConvolutionAlgorithm {
        let threeByThree = kernel == 3 && (stride == 1 || stride == 2) && padding == 1
        if threeByThree && shiftedRows {
            if stride == 1 && winograd { return WinogradConvolution(inChannels: inChannels, outChannels: outChannels) }
            return ShiftedConvolution(inChannels: inChannels, outChannels: outChannels, stride: stride)
        }
        return Im2colConvolution(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding)
    }
}
