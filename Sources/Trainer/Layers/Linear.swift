import Foundation
import CLinearAlgebra

/// A fully connected layer y = x Wᵀ + b on N × C inputs (spatial size 1). Weights Kaiming-uniform as
/// PyTorch's `nn.Linear` default (U(±1/√fan_in) for both W and b).
public final class Linear: Layer {
    public let inputs: Int
    public let outputs: Int
    public let weight: Parameter
    public let bias: Parameter
    private var input: Tensor?
    private let output = Tensor(n: 0, c: 0)
    private let gradInput = Tensor(n: 0, c: 0)

    public init(_ inputs: Int, _ outputs: Int, rng: inout some RandomNumberGenerator) {
        self.inputs = inputs
        self.outputs = outputs
        let bound = 1 / Double(inputs).squareRoot()
        func uniform() -> Float { Float((2 * (Double(rng.next() >> 11) * 0x1p-53) - 1) * bound) }
        weight = Parameter((0..<(inputs * outputs)).map { _ in uniform() }, decays: true)
        bias = Parameter((0..<outputs).map { _ in uniform() }, decays: false)
    }

    public var parameters: [Parameter] { [weight, bias] }
    public func multiplyAccumulates(h: Int, w: Int) -> Int { inputs * outputs }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.sampleSize == inputs, "Linear expects \(inputs) features, got \(x.sampleSize)")
        input = x
        output.resize(n: x.n, c: outputs, h: 1, w: 1)
        for i in 0..<x.n { for o in 0..<outputs { output.data[i * outputs + o] = bias.value[o] } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(x.n), Int32(outputs), Int32(inputs), 1,
                    x.data, Int32(inputs), weight.value, Int32(inputs), 1, &output.data, Int32(outputs))
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        gradInput.resize(like: x)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs), Int32(inputs), Int32(dy.n), 1,
                    dy.data, Int32(outputs), x.data, Int32(inputs), 1, &weight.gradient, Int32(inputs))
        for i in 0..<dy.n { for o in 0..<outputs { bias.gradient[o] += dy.data[i * outputs + o] } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(dy.n), Int32(inputs), Int32(outputs), 1,
                    dy.data, Int32(outputs), weight.value, Int32(inputs), 0, &gradInput.data, Int32(inputs))
        return gradInput
    }
}

/// Softmax cross-entropy, averaged over the batch.
public final class SoftmaxCrossEntropy {
    public private(set) var probabilities = [Float]()
    public let gradient = Tensor(n: 0, c: 0)

    public init() {}

    /// The mean loss of `logits` (N × K) against `labels`; keeps dL/dlogits in `gradient`.
    public func loss(_ logits: Tensor, labels: ArraySlice<Int>) -> Float {
        let n = logits.n, k = logits.sampleSize
        gradient.resize(n: n, c: k, h: 1, w: 1)
        if probabilities.count < n * k { probabilities = [Float](repeating: 0, count: n * k) }
        var total: Double = 0
        for (i, label) in labels.enumerated() {
            var top = -Float.infinity
            for j in 0..<k { top = max(top, logits.data[i * k + j]) }
            var sum: Float = 0
            for j in 0..<k {
                let e = expf(logits.data[i * k + j] - top)
                probabilities[i * k + j] = e
                sum += e
            }
            for j in 0..<k {
                probabilities[i * k + j] /= sum
                gradient.data[i * k + j] = (probabilities[i * k + j] - (j == label ? 1 : 0)) / Float(n)
            }
            total -= Double(logf(max(probabilities[i * k + label], 1e-30)))
        }
        return Float(total / Double(n))
    }
}
