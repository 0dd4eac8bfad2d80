/// DARTS's auxiliary classifier (`AuxiliaryHeadCIFAR` of the reference code), read from the output of the
/// second reduction cell (8 × 8 on 32 × 32 images): ReLU, 5 × 5 average pooling of stride 3 (to 2 × 2),
/// conv 1×1 to 128 channels, BN, ReLU, conv 2×2 to 768, BN, ReLU, a linear classifier. Its loss, weighted,
/// is added to the main one during training (a regulariser for long training); it is not used to classify.
public final class AuxiliaryHead: Layer {
    let body: Sequential
    /// The smallest plane the head reads (its pooling and its 2 × 2 convolution need a 2 × 2 after pooling).
    public static let minimumPlane = 8

    public init(channels: Int, classes: Int, kernels: ConvolutionKernels = .environment, rng: inout some RandomNumberGenerator) {
        body = Sequential([
            ReLU(), AveragePool(kernel: 5, stride: 3),
            Conv2D(channels, 128, kernel: 1, kernels: kernels, rng: &rng), BatchNorm2D(128),
            Conv2D(128, 768, kernel: 2, rectifiesInput: true, kernels: kernels, rng: &rng), BatchNorm2D(768), ReLU(),
            GlobalAveragePool(), Linear(768, classes, rng: &rng),
        ])
    }

    /// Whether the head can read an `h × w` plane.
    public static func reads(h: Int, w: Int) -> Bool { h >= minimumPlane && w >= minimumPlane }

    public var parameters: [Parameter] { body.parameters }
    public func multiplyAccumulates(h: Int, w: Int) -> Int { body.multiplyAccumulates(h: h, w: w) }
    public func outputSize(h: Int, w: Int) -> (Int, Int) { (1, 1) }
    public func forward(_ x: Tensor, training: Bool) -> Tensor { body.forward(x, training: training) }
    public func backward(_ dy: Tensor) -> Tensor { body.backward(dy) }
}
