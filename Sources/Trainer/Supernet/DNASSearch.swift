import ANASOD
import Foundation

/// One epoch of a one-shot search, as it is reported and journaled.
public struct DNASEpoch: Sendable, Hashable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    /// The supernet's error on the architecture half, in percent, after the epoch.
    public var validationError: Double
    /// `anasod`: p~; DARTS: softmax(αₑ) of each edge, edge-major (6 × k).
    public var distribution: [Double]
    public var seconds: Double
}

/// Everything a search needs to go on from the end of an epoch exactly as if it had not stopped: weights
/// and momenta, architecture parameters and Adam's moments, the generator, the step.
public struct DNASCheckpoint: Sendable, Hashable, Codable {
    public var epoch: Int
    public var step: Int
    public var rng: UInt64
    public var architecture: [Double]
    public var adamFirst: [Double]
    public var adamSecond: [Double]
    public var values: [[Float]]
    public var momenta: [[Float]]
}

/// The bilevel loop of differentiable NAS on NB201 (first order, as DARTS's cheaper variant and ANASOD's
/// Algorithm 1): the training images split in two seeded halves; each step (i) descends the architecture
/// half's loss in the architecture parameters, the weights fixed — ANASOD: p~ by mirror descent, the
/// exponentiated gradient keeping it on the simplex without a projection's corners; DARTS: α by Adam —
/// then (ii) descends the weight half's loss in the weights, the architecture fixed (SGD, cosine).
public final class DNASSearch: @unchecked Sendable {
    public let settings: DNASSettings
    public let weightHalf: Dataset
    public let architectureHalf: Dataset
    public let supernet: NB201Supernet
    private var rng: SplitMix
    private var step = 0
    private var adamFirst: [Double]
    private var adamSecond: [Double]
    public private(set) var epoch = 0

    /// - Parameter data: normalised training images; `settings.trainingImages` of them are used.
    /// - Throws: `TrainerError.invalidSettings`.
    public init(data: Dataset, settings: DNASSettings, kernels: ConvolutionKernels = .environment) throws {
        try settings.validate()
        guard data.count >= settings.trainingImages else {
            throw TrainerError(.invalidSettings, "train_limit \(settings.trainingImages) exceeds the \(data.count) training images")
        }
        self.settings = settings
        var split = SplitMix(state: 0xD0A5 ^ settings.seed)
        var order = Array(0..<data.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(split.next() % UInt64(i + 1))) }
        let used = Array(order.prefix(settings.trainingImages))
        weightHalf = data.subset(Array(used.prefix(used.count / 2)))
        architectureHalf = data.subset(Array(used.dropFirst(used.count / 2)))
        rng = SplitMix(state: settings.seed)
        supernet = NB201Supernet(parameterization: settings.method == .anasod ? .shared : .perEdge, channels: settings.channels,
                                 cellsPerStage: settings.cellsPerStage, inputChannels: data.channels, classes: data.classes,
                                 kernels: kernels, rng: &rng)
        adamFirst = [Double](repeating: 0, count: supernet.architecture.count)
        adamSecond = adamFirst
    }

    public var stepsPerEpoch: Int { weightHalf.count / settings.batchSize }

    /// The state at the end of the last finished epoch.
    public var checkpoint: DNASCheckpoint {
        let parameters = supernet.parameters
        return DNASCheckpoint(epoch: epoch, step: step, rng: rng.state, architecture: supernet.architecture, adamFirst: adamFirst,
                              adamSecond: adamSecond, values: parameters.map(\.value), momenta: parameters.map(\.momentum))
    }

    /// Goes on from `checkpoint` (a search with the same settings and data).
    /// - Throws: `TrainerError.invalidSettings` when it does not fit this supernet.
    public func restore(_ checkpoint: DNASCheckpoint) throws {
        let parameters = supernet.parameters
        guard checkpoint.values.count == parameters.count, checkpoint.momenta.count == parameters.count,
              zip(checkpoint.values, parameters).allSatisfy({ $0.count == $1.count }),
              zip(checkpoint.momenta, parameters).allSatisfy({ $0.count == $1.count }),
              checkpoint.architecture.count == supernet.architecture.count,
              checkpoint.adamFirst.count == adamFirst.count, checkpoint.adamSecond.count == adamSecond.count,
              checkpoint.epoch >= 0, checkpoint.epoch <= settings.epochs else {
            throw TrainerError(.invalidSettings, "the checkpoint does not fit this search's supernet")
        }
        for (p, (value, momentum)) in zip(parameters, zip(checkpoint.values, checkpoint.momenta)) {
            p.value = value
            p.momentum = momentum
        }
        supernet.architecture = checkpoint.architecture
        (adamFirst, adamSecond) = (checkpoint.adamFirst, checkpoint.adamSecond)
        rng = SplitMix(state: checkpoint.rng)
        (epoch, step) = (checkpoint.epoch, checkpoint.step)
    }

    /// The architecture as it stands (p~, or each edge's softmax).
    public var distribution: [Double] {
        supernet.parameterization == .shared ? supernet.architecture : (0..<6).flatMap { supernet.edgeWeights($0) }
    }

    /// Runs the epochs left; `progress` gets each finished epoch and the checkpoint after it.
    /// - Parameter shouldStop: polled between steps; returning true throws `CancellationError`.
    public func run(progress: (DNASEpoch, DNASCheckpoint) throws -> Void, shouldStop: () -> Bool = { false }) throws {
        let batch = settings.batchSize
        let schedule = CosineSchedule(base: settings.learningRate, total: stepsPerEpoch * settings.epochs)
        var sgd = SGD(learningRate: settings.learningRate, momentum: 0.9, nesterov: true, weightDecay: settings.weightDecay)
        let parameters = supernet.parameters
        let lossFunction = SoftmaxCrossEntropy()
        let input = Tensor(n: batch, c: weightHalf.channels, h: weightHalf.height, w: weightHalf.width)
        var labels = [Int](repeating: 0, count: batch)
        while epoch < settings.epochs {
            let started = Date()
            var weightOrder = Array(0..<weightHalf.count), architectureOrder = Array(0..<architectureHalf.count)
            shuffle(&weightOrder)
            shuffle(&architectureOrder)
            var trainLoss = 0.0, validationLoss = 0.0
            for b in 0..<stepsPerEpoch {
                if shouldStop() { throw CancellationError() }
                // (i) the architecture on its half, the weights fixed.
                fill(input, &labels, from: architectureHalf, architectureOrder[(b * batch)..<((b + 1) * batch)])
                supernet.zeroArchitectureGradient()
                validationLoss += Double(lossFunction.loss(supernet.forward(input, training: true), labels: labels[...]))
                supernet.backward(lossFunction.gradient)
                updateArchitecture(supernet.architectureGradient())
                // (ii) the weights on theirs, the architecture fixed.
                fill(input, &labels, from: weightHalf, weightOrder[(b * batch)..<((b + 1) * batch)])
                for p in parameters { p.zeroGradient() }
                trainLoss += Double(lossFunction.loss(supernet.forward(input, training: true), labels: labels[...]))
                supernet.backward(lossFunction.gradient)
                sgd.learningRate = schedule.rate(at: step)
                sgd.step(parameters)
                step += 1
            }
            epoch += 1
            let report = DNASEpoch(epoch: epoch, trainLoss: trainLoss / Double(stepsPerEpoch),
                                   validationLoss: validationLoss / Double(stepsPerEpoch),
                                   validationError: try CellTrainer.errorRate(supernet, architectureHalf, batch: batch, shouldStop: shouldStop),
                                   distribution: distribution,
                                   seconds: Date().timeIntervalSince(started))
            try progress(report, checkpoint)
        }
    }

    /// ANASOD: p ← p ⊙ exp(−η g) / Z (mirror descent under the entropy; p stays positive and on the
    /// simplex, with no projection). DARTS: one Adam step on α (β = 0.5, 0.999, as DARTS's search).
    func updateArchitecture(_ g: [Double]) {
        let eta = settings.architectureLearningRate
        if supernet.parameterization == .shared {
            var p = supernet.architecture
            let top = g.min() ?? 0  // shift the exponent: exp(−η(g − min g)) ≤ 1, no overflow
            for j in p.indices { p[j] *= Foundation.exp(-eta * (g[j] - top)) }
            let total = p.reduce(0, +)
            supernet.architecture = p.map { max($0 / total, 1e-12) }
            let renormalised = supernet.architecture.reduce(0, +)
            supernet.architecture = supernet.architecture.map { $0 / renormalised }
        } else {
            let (b1, b2) = (0.5, 0.999), t = Double(step + 1)
            for i in g.indices {
                adamFirst[i] = b1 * adamFirst[i] + (1 - b1) * g[i]
                adamSecond[i] = b2 * adamSecond[i] + (1 - b2) * g[i] * g[i]
                let m = adamFirst[i] / (1 - Foundation.pow(b1, t)), v = adamSecond[i] / (1 - Foundation.pow(b2, t))
                supernet.architecture[i] -= eta * m / (v.squareRoot() + 1e-8)
            }
        }
    }

    func fill(_ input: Tensor, _ labels: inout [Int], from data: Dataset, _ indices: ArraySlice<Int>) {
        let size = data.sampleSize
        for (slot, index) in indices.enumerated() {
            labels[slot] = data.labels[index]
            for i in 0..<size { input.data[slot * size + i] = data.images[index * size + i] }
        }
    }

    func shuffle(_ a: inout [Int]) {
        var i = a.count - 1
        while i > 0 {
            a.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            i -= 1
        }
    }
}
