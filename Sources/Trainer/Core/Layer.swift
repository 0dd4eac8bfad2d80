/// A differentiable layer. `forward` returns a tensor the layer owns (valid until its next forward);
/// `backward` takes dL/d(output) of the last forward, accumulates its parameters' gradients and returns
/// dL/d(input) (also owned by the layer). Buffers are reused across steps: no allocation per batch once
/// shapes are known.
public protocol Layer: AnyObject {
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ gradOutput: Tensor) -> Tensor
    var parameters: [Parameter] { get }
    /// Multiply-accumulates of one forward pass per sample, for an input of `h × w`.
    func multiplyAccumulates(h: Int, w: Int) -> Int
    /// The output plane for an input of `h × w` (the same plane unless the layer strides or pools).
    func outputSize(h: Int, w: Int) -> (Int, Int)
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public func multiplyAccumulates(h: Int, w: Int) -> Int { 0 }
    public func outputSize(h: Int, w: Int) -> (Int, Int) { (h, w) }
}

/// Layers applied in order.
public final class Sequential: Layer {
    public let layers: [Layer]

    public init(_ layers: [Layer]) {
        self.layers = layers
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        for layer in layers { x = layer.forward(x, training: training) }
        return x
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func multiplyAccumulates(h: Int, w: Int) -> Int {
        var total = 0
        var (hh, ww) = (h, w)
        for layer in layers {
            total += layer.multiplyAccumulates(h: hh, w: ww)
            (hh, ww) = layer.outputSize(h: hh, w: ww)
        }
        return total
    }

    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        layers.reduce((h, w)) { $1.outputSize(h: $0.0, w: $0.1) }
    }
}
