import Testing
@testable import Trainer

/// A network as a `Layer`, for the gradient checker (its input gradient is not computed).
final class NetworkLayer: Layer {
    let network: any ClassifierNetwork
    init(_ network: any ClassifierNetwork) { self.network = network }
    func forward(_ input: Tensor, training: Bool) -> Tensor { network.forward(input, training: training) }
    func backward(_ gradOutput: Tensor) -> Tensor {
        network.backward(gradOutput)
        return Tensor(n: 0, c: 0)
    }
    var parameters: [Parameter] { network.parameters }
}

@Suite struct NB201NetworkTests {
    static let allConv = [3, 3, 3, 3, 3, 3]
    /// |nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|
    static let resnetLike = [3, 0, 3, 1, 0, 1]

    @Test func parameterCountsMatchTheReference() {
        var rng = TestRNG(state: 1)
        let conv = NB201Network(operations: Self.allConv, channels: 16, cellsPerStage: 5, inputChannels: 1, classes: 10, rng: &rng)
        #expect(conv.parameterCount == 1_531_258)
        let resnet = NB201Network(operations: Self.resnetLike, channels: 16, cellsPerStage: 5, inputChannels: 1, classes: 10,
                                  rng: &rng)
        #expect(resnet.parameterCount == 559_098)
        // NB201's own figure for its largest CIFAR-10 cell (3 input channels): 1.53 M.
        let cifar = NB201Network(operations: Self.allConv, channels: 16, cellsPerStage: 5, inputChannels: 3, classes: 10, rng: &rng)
        #expect(abs(Double(cifar.parameterCount) / 1e6 - 1.53) < 0.01)
    }

    @Test func anAllNoneCellOutputsZeros() {
        var rng = TestRNG(state: 2)
        let cell = NB201Cell(channels: 2, operations: [0, 0, 0, 0, 0, 0], rng: &rng)
        #expect(cell.parameters.isEmpty)
        let y = cell.forward(GradientCheck.randomTensor(1, 2, 3, 3, &rng), training: true)
        #expect(y.data.allSatisfy { $0 == 0 })
        // Node 1 is dead (none into it), so the conv on 1→3 is never built.
        let partial = NB201Cell(channels: 2, operations: [0, 3, 0, 3, 3, 1], rng: &rng)
        #expect(partial.edges[4] == nil)
    }

    @Test(arguments: [[3, 0, 3, 1, 0, 1], [4, 2, 1, 3, 4, 2], [1, 1, 1, 1, 1, 1], [0, 4, 0, 2, 0, 4], [0, 0, 0, 1, 0, 0]])
    func wholeNetworkGradients(operations: [Int]) {
        var rng = TestRNG(state: UInt64(operations.reduce(0) { $0 * 5 + $1 }))
        let network = NB201Network(operations: operations, channels: 2, cellsPerStage: 1, inputChannels: 1, classes: 3, rng: &rng)
        GradientCheck.check(NetworkLayer(network), input: GradientCheck.randomTensor(3, 1, 8, 8, &rng), rng: &rng, samples: 25, eps: 3e-4, kinkAllowance: 0.1)
    }
}

@Suite(.serialized) struct ThreadIndependenceTests {
    /// Training steps give bit-identical losses whatever `Parallel.threads` is.
    @Test func lossesDoNotDependOnTheThreadCount() {
        func losses(threads: Int) -> [Float] {
            Parallel.threads = threads
            defer { Parallel.threads = 1 }
            var rng = TestRNG(state: 5)
            let network = NB201Network(operations: [3, 2, 4, 1, 3, 4], channels: 4, cellsPerStage: 1, inputChannels: 1,
                                       classes: 10, rng: &rng)
            let x = GradientCheck.randomTensor(32, 1, 12, 12, &rng)
            let labels = (0..<32).map { $0 % 10 }
            let ce = SoftmaxCrossEntropy()
            let sgd = SGD(learningRate: 0.05)
            var out = [Float]()
            for _ in 0..<3 {
                for p in network.parameters { p.zeroGradient() }
                out.append(ce.loss(network.forward(x, training: true), labels: labels[...]))
                network.backward(ce.gradient)
                sgd.step(network.parameters)
            }
            return out
        }
        #expect(losses(threads: 1) == losses(threads: 2))
        #expect(losses(threads: 1) == losses(threads: 3))
    }
}
