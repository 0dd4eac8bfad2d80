/// DARTS's convolutional operations (Liu et al., ICLR 2019), as its reference implementation builds them:
/// `sep_conv_k` = (ReLU, depthwise k×k, pointwise 1×1, BN) twice, the first with the edge's stride;
/// `dil_conv_k` = ReLU, depthwise k×k with dilation 2, pointwise 1×1, BN. The ReLUs are fused into the
/// depthwise convolutions. Padding keeps the plane (stride 1) or halves it (stride 2, rounded up).
public enum DARTSOperations {
    public static func separable(channels c: Int, kernel: Int, stride: Int, kernels: ConvolutionKernels = .environment,
                                 rng: inout some RandomNumberGenerator) -> Sequential {
        Sequential([
            DepthwiseConv2D(channels: c, kernel: kernel, stride: stride, rectifiesInput: true, kernels: kernels, rng: &rng),
            Conv2D(c, c, kernel: 1, kernels: kernels, rng: &rng), BatchNorm2D(c),
            DepthwiseConv2D(channels: c, kernel: kernel, rectifiesInput: true, kernels: kernels, rng: &rng),
            Conv2D(c, c, kernel: 1, kernels: kernels, rng: &rng), BatchNorm2D(c),
        ])
    }

    public static func dilated(channels c: Int, kernel: Int, stride: Int, kernels: ConvolutionKernels = .environment,
                               rng: inout some RandomNumberGenerator) -> Sequential {
        Sequential([
            DepthwiseConv2D(channels: c, kernel: kernel, stride: stride, dilation: 2, rectifiesInput: true, kernels: kernels, rng: &rng),
            Conv2D(c, c, kernel: 1, kernels: kernels, rng: &rng), BatchNorm2D(c),
        ])
    }
}
