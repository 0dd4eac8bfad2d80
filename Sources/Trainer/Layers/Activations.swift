/// max(x, 0).
public final class ReLU: Layer {
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        Elementwise.rectify(x, into: output)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        Elementwise.mask(dy, by: output, into: gradInput)
        return gradInput
    }
}
