/// A float32 tensor of shape (batch n, channels c, height h, width w), stored flat. Activations inside a
/// network are **channel-major**, C × N × H × W: element (i, ch, y, x) at ((ch·n + i)·h + y)·w + x, so a
/// channel's values over the batch are contiguous (batch norm runs over one span, a convolution's GEMM
/// writes its output in place). Images and data sets are sample-major (N × C × H × W; `ChannelMajor`
/// converts at the network's entry), and feature matrices (h = w = 1, into `Linear`) are N × C. The two
/// layouts coincide when c = 1. A class, so layers keep and reuse their output and gradient buffers across
/// steps: `resize` reallocates only when the element count grows.
public final class Tensor {
    public private(set) var n: Int
    public private(set) var c: Int
    public private(set) var h: Int
    public private(set) var w: Int
    public var data: [Float]

    public init(n: Int, c: Int, h: Int = 1, w: Int = 1, repeating value: Float = 0) {
        self.n = n
        self.c = c
        self.h = h
        self.w = w
        data = [Float](repeating: value, count: n * c * h * w)
    }

    public init(n: Int, c: Int, h: Int = 1, w: Int = 1, data: [Float]) {
        precondition(data.count == n * c * h * w, "data does not fit the shape")
        self.n = n
        self.c = c
        self.h = h
        self.w = w
        self.data = data
    }

    public var count: Int { n * c * h * w }
    public var shape: [Int] { [n, c, h, w] }
    /// Elements of one sample (of one row of a feature matrix).
    public var sampleSize: Int { c * h * w }

    /// Gives the tensor a new shape; contents are undefined unless `zero`.
    public func resize(n: Int, c: Int, h: Int, w: Int, zero: Bool = false) {
        let needed = n * c * h * w
        if data.count < needed {
            data = [Float](repeating: 0, count: needed)  // fresh zeros: nothing more to clear
        } else {
            if data.count > needed { data.removeLast(data.count - needed) }  // keeps the capacity
            if zero { data.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) } }
        }
        self.n = n
        self.c = c
        self.h = h
        self.w = w
    }

    public func resize(like other: Tensor, zero: Bool = false) {
        resize(n: other.n, c: other.c, h: other.h, w: other.w, zero: zero)
    }

    public func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { p in p.update(repeating: value) }
    }
}

/// A learnable array with its gradient and the optimiser's momentum buffer.
public final class Parameter {
    public var value: [Float]
    public var gradient: [Float]
    public var momentum: [Float]
    /// Whether weight decay applies (not to BN scales and shifts or biases).
    public let decays: Bool

    public init(_ value: [Float], decays: Bool) {
        self.value = value
        gradient = [Float](repeating: 0, count: value.count)
        momentum = [Float](repeating: 0, count: value.count)
        self.decays = decays
    }

    public var count: Int { value.count }

    public func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
    }
}
