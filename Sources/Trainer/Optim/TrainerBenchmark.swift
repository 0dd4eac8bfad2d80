import Foundation

/// Images per second of training steps (forward, backward, SGD) and of inference, on random 1 × 28 × 28
/// inputs, for the `bench-trainer` table.
public enum TrainerBenchmark {
    public struct Row: Sendable {
        public var channels: Int
        public var cells: Int
        public var cell: String
        public var trainImagesPerSecond: Double
        public var inferenceImagesPerSecond: Double
    }

    /// Runs `warmup` then `steps` training steps and as many inference passes of batch `batch`.
    public static func measure(operations: [Int], name: String, channels: Int, cells: Int, batch: Int = 128,
                               warmup: Int = 2, steps: Int = 8) -> Row {
        var rng = SplitMix(state: 1)
        let network = NB201Network(operations: operations, channels: channels, cellsPerStage: cells, inputChannels: 1,
                                   classes: 10, rng: &rng)
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
        var start = Date()
        for _ in 0..<steps { trainStep() }
        let train = Double(steps * batch) / Date().timeIntervalSince(start)
        for _ in 0..<warmup { _ = network.forward(input, training: false) }
        start = Date()
        for _ in 0..<steps { _ = network.forward(input, training: false) }
        let inference = Double(steps * batch) / Date().timeIntervalSince(start)
        return Row(channels: channels, cells: cells, cell: name, trainImagesPerSecond: train, inferenceImagesPerSecond: inference)
    }
}
