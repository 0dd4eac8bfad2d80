/// The shape of a depthwise convolution: each of `channels` channels convolved with its own k × k filter
/// (W[c][ky][kx]) at a stride and dilation, with `padding` zeros around the plane.
struct DepthwiseGeometry: Sendable {
    let channels: Int, kernel: Int, stride: Int, dilation: Int, padding: Int

    func outputSize(h: Int, w: Int) -> (Int, Int) {
        let span = dilation * (kernel - 1) + 1
        return ((h + 2 * padding - span) / stride + 1, (w + 2 * padding - span) / stride + 1)
    }
}

/// One way of computing a depthwise convolution: a `DepthwiseConv2D` holds one, chosen once when the layer
/// is made from its `ConvolutionKernels` (portable loops, or the AVX-512 shifted rows). The layer owns the
/// weights and their gradient; an algorithm owns its scratch memory. Each channel's sums run in a fixed
/// order on one thread, so results do not depend on the thread count.
protocol DepthwiseAlgorithm: AnyObject {
    /// Y = W ∗ x (or W ∗ max(x, 0) with `rectify`), written into `output` (resized).
    func forward(_ x: Tensor, weights: [Float], rectify: Bool, into output: Tensor)
    /// dW += the weight gradient; `gradInput` (resized like x) = the input gradient (zero where x ≤ 0 with
    /// `rectify`). `x` is the forward's input.
    func backward(_ x: Tensor, _ dy: Tensor, weights: [Float], rectify: Bool, weightGradient: inout [Float], gradInput: Tensor)
}

extension ConvolutionKernels {
    /// The algorithm for a depthwise convolution of this geometry: the AVX-512 rows where they are allowed.
    func depthwiseAlgorithm(_ geometry: DepthwiseGeometry) -> any DepthwiseAlgorithm {
        shiftedRows ? DepthwiseRows(geometry) : DepthwiseLoops(geometry)
    }
}
