import Foundation

/// Images per second of training steps (forward, backward, SGD) and of inference, on random 1 × 28 × 28
/// inputs, for the `bench trainer` table.
public enum TrainerBenchmark {
    public struct Row: Sendable {
        public var channels: Int
        public var cells: Int
        public var cell: String
        public var trainImagesPerSecond: Double
        public var inferenceImagesPerSecond: Double
    }

    /// Runs `warmup` then `steps` training steps and as many inference passes of batch `batch`; rates are
    /// from the median step (a shared machine's occasional stall moves a mean, not the median).
    public static func measure(operations: [Int], name: String, channels: Int, cells: Int, batch: Int = 128,
                               warmup: Int = 2, steps: Int = 8) -> Row {
        measure(.nb201(operations: operations), name: name, channels: channels, cells: cells, batch: batch, warmup: warmup, steps: steps)
    }

    /// The same for any network the trainer builds (DARTS: `cells` is L; no auxiliary head, no drop-path).
    public static func measure(_ blueprint: NetworkBlueprint, name: String, channels: Int, cells: Int, batch: Int = 128,
                               warmup: Int = 2, steps: Int = 8, kernels: ConvolutionKernels = .environment) -> Row {
        var rng = SplitMix(state: 1)
        var settings = TrainingSettings()
        (settings.channels, settings.cellsPerStage, settings.kernels) = (channels, cells, kernels)
        let network = blueprint.build(settings: settings, inputChannels: 1, classes: 10, rng: &rng)
        let input = Tensor(n: batch, c: 1, h: 28, w: 28, data: (0..<(batch * 784)).map { _ in Float(rng.next() % 1000) / 500 - 1 })
        let labels = (0..<batch).map { _ in Int(rng.next() % 10) }
        let loss = SoftmaxCrossEntropy()
        let sgd = SGD(learningRate: 0.01)
        let parameters = network.parameters
        func trainStep() {
            for p in parameters { p.zeroGradient() }
            _ = loss.loss(network.forward(input, training: true), labels: labels[...])
            network.backward(loss.gradient)
            sgd.step(parameters)
        }
        for _ in 0..<warmup { trainStep() }
        let train = Double(batch) / medianSeconds(steps, trainStep)
        for _ in 0..<warmup { _ = network.forward(input, training: false) }
        let inference = Double(batch) / medianSeconds(steps) { _ = network.forward(input, training: false) }
        return Row(channels: channels, cells: cells, cell: name, trainImagesPerSecond: train, inferenceImagesPerSecond: inference)
    }

    /// The median of `count` timings of `body`, in seconds.
    static func medianSeconds(_ count: Int, _ body: () -> Void) -> Double {
        var times = [Double]()
        for _ in 0..<max(1, count) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }

    /// One 3×3 convolution of each NB201 stage (C → C channels on 28², 2C on 14², 4C on 7², batch 128):
    /// milliseconds and GFLOP/s of forward and backward (dW and dX), where a training step spends most of
    /// its time.
    public struct ConvolutionRow: Sendable {
        public var channels: Int
        public var size: Int
        public var forwardMilliseconds: Double
        public var backwardMilliseconds: Double
        public var forwardGFLOPS: Double
        public var backwardGFLOPS: Double
    }

    public static func measureConvolutions(channels: Int = 16, batch: Int = 128, repeats: Int = 5) -> [ConvolutionRow] {
        [(channels, 28), (2 * channels, 14), (4 * channels, 7)].map { c, size in
            var rng = SplitMix(state: 2)
            let conv = Conv2D(c, c, kernel: 3, padding: 1, rng: &rng)
            let count = batch * c * size * size
            let x = Tensor(n: batch, c: c, h: size, w: size, data: (0..<count).map { _ in Float(rng.next() % 1000) / 500 - 1 })
            let dy = Tensor(n: batch, c: c, h: size, w: size, data: (0..<count).map { _ in Float(rng.next() % 1000) / 500 - 1 })
            _ = conv.forward(x, training: true)
            _ = conv.backward(dy)
            let forward = medianSeconds(repeats) { _ = conv.forward(x, training: true) }
            let backward = medianSeconds(repeats) { _ = conv.backward(dy) }
            let flops = 2 * Double(conv.multiplyAccumulates(h: size, w: size) * batch)
            return ConvolutionRow(channels: c, size: size, forwardMilliseconds: forward * 1000, backwardMilliseconds: backward * 1000,
                                  forwardGFLOPS: flops / forward / 1e9, backwardGFLOPS: 2 * flops / backward / 1e9)
        }
    }

    /// One depthwise convolution (with its fused ReLU, as in DARTS's operations) on one kernel set:
    /// milliseconds of forward and of backward (dW and dX), median of `repeats`.
    public struct DepthwiseRow: Sendable {
        public var forwardMilliseconds: Double
        public var backwardMilliseconds: Double
    }

    public static func measureDepthwise(channels: Int, size: Int, kernel: Int, stride: Int, dilation: Int, kernels: ConvolutionKernels,
                                        batch: Int = 128, repeats: Int = 5) -> DepthwiseRow {
        var rng = SplitMix(state: 3)
        let layer = DepthwiseConv2D(channels: channels, kernel: kernel, stride: stride, dilation: dilation, rectifiesInput: true,
                                    kernels: kernels, rng: &rng)
        let count = batch * channels * size * size
        let x = Tensor(n: batch, c: channels, h: size, w: size, data: (0..<count).map { _ in Float(rng.next() % 1000) / 500 - 1 })
        let (ho, wo) = layer.outputSize(h: size, w: size)
        let dy = Tensor(n: batch, c: channels, h: ho, w: wo,
                        data: (0..<(batch * channels * ho * wo)).map { _ in Float(rng.next() % 1000) / 500 - 1 })
        _ = layer.forward(x, training: true)
        _ = layer.backward(dy)
        let forward = medianSeconds(repeats) { _ = layer.forward(x, training: true) }
        let backward = medianSeconds(repeats) { _ = layer.backward(dy) }
        return DepthwiseRow(forwardMilliseconds: forward * 1000, backwardMilliseconds: backward * 1000)
    }
}
