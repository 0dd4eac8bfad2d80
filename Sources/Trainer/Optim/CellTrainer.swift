import ANASOD
import Foundation

/// How to train one cell: the network's size, the schedule and the data budget (a cheap proxy of full
/// training, as NAS evaluations use).
public struct TrainingSettings: Sendable, Hashable {
    /// The network's first width (NB201: the first stage's channels; DARTS: C, the stem having 3C).
    public var channels = 8
    /// NB201: cells per stage (N); DARTS: cells in all (L, reductions at L/3 and 2L/3).
    public var cellsPerStage = 1
    public var epochs = 1
    public var batchSize = 128
    public var learningRate: Float = 0.1
    public var momentum: Float = 0.9
    public var nesterov = true
    public var weightDecay: Float = 5e-4
    /// Training images used (nil: all that remain after the validation split).
    public var trainingLimit: Int? = 10_000
    /// Images held out of the training set for validation (the search objective).
    public var validationSize = 5_000
    /// Test images evaluated at the end (nil: all; 0: none).
    public var testLimit: Int? = nil
    /// Random crops (padding 2) and horizontal flips.
    public var augment = false
    /// Cutout: a `cutout × cutout` square (clipped at the border) zeroed at a random centre of every
    /// training image, after augmentation (0: none).
    public var cutout = 0
    /// DARTS networks: the weight of the auxiliary head's loss (0: no auxiliary head).
    public var auxiliaryWeight: Float = 0
    /// DARTS networks: the drop-path probability at the last epoch (rising linearly from 0).
    public var dropPath: Float = 0
    public var seed: UInt64 = 0
    /// The convolution algorithms the network's layers may use (default: `ANASOD_TRAINER_KERNELS` on this CPU).
    public var kernels = ConvolutionKernels.environment

    public init() {}

    public func validate() throws {
        func fail(_ m: String) -> TrainerError { TrainerError(.invalidSettings, m) }
        guard channels >= 1, channels <= 512 else { throw fail("channels must be in 1...512, got \(channels)") }
        guard cellsPerStage >= 1, cellsPerStage <= 32 else { throw fail("cells per stage must be in 1...32, got \(cellsPerStage)") }
        guard epochs >= 1 else { throw fail("epochs must be positive, got \(epochs)") }
        guard batchSize >= 2 else { throw fail("batch size must be at least 2 (batch norm), got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning rate must be positive") }
        guard validationSize >= 1 else { throw fail("the validation set needs at least one image") }
        guard cutout >= 0 else { throw fail("cutout must be non-negative, got \(cutout)") }
        guard auxiliaryWeight >= 0, auxiliaryWeight.isFinite else { throw fail("the auxiliary weight must be non-negative") }
        guard dropPath >= 0, dropPath < 1 else { throw fail("drop-path must be in [0, 1), got \(dropPath)") }
    }
}

/// What training a cell measured.
public struct TrainingOutcome: Sendable, Hashable {
    public var validationError: Double
    public var testError: Double?
    public var trainSeconds: Double
    public var parameters: Int
    /// Multiply-accumulates of one forward pass of one image.
    public var multiplyAccumulates: Int
    public var epochs: [EpochProgress]
    /// The mean training loss of every step (for reproducibility checks).
    public var stepLosses: [Float]
    /// Milliseconds one image's forward pass takes in inference mode after training, on this machine with the
    /// trainer's threads: the median of 11 timed passes after 2 untimed ones (a wall-clock measure, so not
    /// reproducible run to run).
    public var latencyMs: Double
}

/// Trains NB201 and DARTS networks on a fixed split of a data set: SGD with Nesterov momentum and weight
/// decay, a cosine schedule over all steps, validation error after every epoch, test error at the end.
/// DARTS networks may add the auxiliary head's weighted loss and drop-path, as DARTS's training script.
/// Batches and network buffers are reused; every random choice comes from `settings.seed`.
public final class CellTrainer: @unchecked Sendable {
    public let train: Dataset
    public let validation: Dataset
    public let test: Dataset?

    public init(train: Dataset, validation: Dataset, test: Dataset?) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Loads Fashion-MNIST, holds out `settings.validationSize` training images (seeded), keeps
    /// `trainingLimit` of the rest and normalises everything with the training statistics.
    public static func fashionMNIST(settings: TrainingSettings, directory: String = IDXLoader.fashionMNISTDirectory) throws -> CellTrainer {
        let full = try IDXLoader.fashionMNIST(train: true, directory: directory)
        var test = try IDXLoader.fashionMNIST(train: false, directory: directory)
        var (train, validation) = full.split(validation: settings.validationSize, trainingLimit: settings.trainingLimit,
                                             seed: 0xDA7A ^ settings.seed)
        let stats = train.channelStatistics()
        train.normalize(mean: stats.mean, std: stats.std)
        validation.normalize(mean: stats.mean, std: stats.std)
        test.normalize(mean: stats.mean, std: stats.std)
        if let limit = settings.testLimit { test = test.subset(Array(0..<min(limit, test.count))) }
        return CellTrainer(train: train, validation: validation, test: test.count > 0 ? test : nil)
    }

    /// Trains the NB201 cell with op indices `operations` (0 none … 4 avg_pool_3x3).
    public func run(operations: [Int], settings: TrainingSettings, progress: (EpochProgress) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        try run(.nb201(operations: operations), settings: settings, progress: progress, shouldStop: shouldStop)
    }

    /// Trains the network `blueprint` describes.
    /// - Parameter shouldStop: polled between steps; returning true throws `CancellationError`.
    /// - Throws: `TrainerError.invalidSettings` for settings or images the network cannot take.
    public func run(_ blueprint: NetworkBlueprint, settings: TrainingSettings, progress: (EpochProgress) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        try settings.validate()
        guard train.count >= 2 else { throw TrainerError(.invalidSettings, "the training set has \(train.count) image(s)") }
        if let problem = blueprint.problem(h: train.height, w: train.width, settings: settings) {
            throw TrainerError(.invalidSettings, problem)
        }
        var rng = SplitMix(state: settings.seed)
        let network = blueprint.build(settings: settings, inputChannels: train.channels, classes: train.classes, rng: &rng)
        let parameters = network.parameters
        let lossFunction = SoftmaxCrossEntropy(), auxiliaryLoss = SoftmaxCrossEntropy()
        let batch = min(settings.batchSize, train.count)
        let stepsPerEpoch = train.count / batch
        let schedule = CosineSchedule(base: settings.learningRate, total: stepsPerEpoch * settings.epochs)
        var optimizer = SGD(learningRate: settings.learningRate, momentum: settings.momentum, nesterov: settings.nesterov,
                            weightDecay: settings.weightDecay)
        let input = Tensor(n: batch, c: train.channels, h: train.height, w: train.width)
        var labels = [Int](repeating: 0, count: batch)
        var order = Array(0..<train.count)
        var reports = [EpochProgress](), losses = [Float]()
        var validationErrorOfLastEpoch = 100.0
        let started = Date()
        var step = 0
        for epoch in 1...settings.epochs {
            network.beginEpoch(epoch, of: settings.epochs)
            shuffle(&order, &rng)
            var epochLoss = 0.0
            for b in 0..<stepsPerEpoch {
                if shouldStop() { throw CancellationError() }
                fillBatch(input, &labels, indices: order[(b * batch)..<((b + 1) * batch)], augment: settings.augment, rng: &rng)
                if settings.cutout > 0 { Self.cutout(input, side: settings.cutout, rng: &rng) }
                for p in parameters { p.zeroGradient() }
                let logits = network.forward(input, training: true)
                var loss = lossFunction.loss(logits, labels: labels[...])
                var auxiliaryGradient: Tensor?
                if settings.auxiliaryWeight > 0, let auxiliaryLogits = network.auxiliaryLogits {
                    loss += settings.auxiliaryWeight * auxiliaryLoss.loss(auxiliaryLogits, labels: labels[...])
                    let g = auxiliaryLoss.gradient
                    for j in 0..<g.count { g.data[j] *= settings.auxiliaryWeight }
                    auxiliaryGradient = g
                }
                network.backward(lossFunction.gradient, auxiliary: auxiliaryGradient)
                optimizer.learningRate = schedule.rate(at: step)
                optimizer.step(parameters)
                losses.append(loss)
                epochLoss += Double(loss)
                step += 1
            }
            let validationError = try Self.errorRate(network, validation, batch: batch, shouldStop: shouldStop)
            let report = EpochProgress(epoch: epoch, trainLoss: epochLoss / Double(max(1, stepsPerEpoch)),
                                     validationError: validationError, seconds: Date().timeIntervalSince(started))
            reports.append(report)
            validationErrorOfLastEpoch = validationError
            progress(report)
        }
        let seconds = Date().timeIntervalSince(started)
        let testError = try test.map { try Self.errorRate(network, $0, batch: batch, shouldStop: shouldStop) }
        let latency = Self.latencyMs(network, validation.count > 0 ? validation : train)
        return TrainingOutcome(validationError: validationErrorOfLastEpoch, testError: testError, trainSeconds: seconds,
                               parameters: network.evaluationParameterCount,
                               multiplyAccumulates: network.multiplyAccumulates(h: train.height, w: train.width),
                               epochs: reports, stepLosses: losses, latencyMs: latency)
    }

    /// Milliseconds of one forward pass of `data`'s first image in inference mode: the median of `repeats`
    /// timed passes after `warmup` untimed ones (what a study's `latency_ms` constraint is checked against).
    static func latencyMs(_ network: any ClassifierNetwork, _ data: Dataset, repeats: Int = 11, warmup: Int = 2) -> Double {
        let input = Tensor(n: 1, c: data.channels, h: data.height, w: data.width)
        input.data.withUnsafeMutableBufferPointer { dst in
            data.images.withUnsafeBufferPointer { src in dst.baseAddress!.update(from: src.baseAddress!, count: data.sampleSize) }
        }
        for _ in 0..<warmup { _ = network.forward(input, training: false) }
        var times = [Double]()
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = network.forward(input, training: false)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Classification error of `network` on `data` in percent, inference mode, in batches of `batch`.
    static func errorRate(_ network: any ClassifierNetwork, _ data: Dataset, batch: Int, shouldStop: () -> Bool = { false }) throws -> Double {
        var wrong = 0
        let input = Tensor(n: 0, c: 0)
        var start = 0
        while start < data.count {
            if shouldStop() { throw CancellationError() }
            let n = min(batch, data.count - start)
            input.resize(n: n, c: data.channels, h: data.height, w: data.width)
            input.data.withUnsafeMutableBufferPointer { dst in
                data.images.withUnsafeBufferPointer { src in
                    dst.baseAddress!.update(from: src.baseAddress! + start * data.sampleSize, count: n * data.sampleSize)
                }
            }
            let logits = network.forward(input, training: false)
            let k = logits.sampleSize
            for i in 0..<n {
                var best = 0
                for j in 1..<k where logits.data[i * k + j] > logits.data[i * k + best] { best = j }
                if best != data.labels[start + i] { wrong += 1 }
            }
            start += n
        }
        return 100 * Double(wrong) / Double(max(1, data.count))
    }

    func fillBatch(_ input: Tensor, _ labels: inout [Int], indices: ArraySlice<Int>, augment: Bool, rng: inout SplitMix) {
        let size = train.sampleSize, h = train.height, w = train.width, plane = h * w
        input.data.withUnsafeMutableBufferPointer { dst in
            train.images.withUnsafeBufferPointer { src in
                for (slot, index) in indices.enumerated() {
                    labels[slot] = train.labels[index]
                    let from = src.baseAddress! + index * size, to = dst.baseAddress! + slot * size
                    guard augment else {
                        to.update(from: from, count: size)
                        continue
                    }
                    let dy = Int(rng.next() % 5) - 2, dx = Int(rng.next() % 5) - 2, flip = rng.next() & 1 == 1
                    for ch in 0..<train.channels {
                        for y in 0..<h {
                            for x in 0..<w {
                                let sy = y + dy, sxRaw = x + dx
                                let sx = flip ? w - 1 - sxRaw : sxRaw
                                to[ch * plane + y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? from[ch * plane + sy * w + sx] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Zeroes one `side × side` square per image (sample-major), centred uniformly and clipped at the
    /// border, on every channel: DeVries & Taylor's cutout as DARTS's training script applies it.
    static func cutout(_ input: Tensor, side: Int, rng: inout SplitMix) {
        let h = input.h, w = input.w, plane = h * w, size = input.sampleSize
        for i in 0..<input.n {
            let cy = Int(rng.next() % UInt64(h)), cx = Int(rng.next() % UInt64(w))
            let y0 = max(0, cy - side / 2), y1 = min(h, cy + side / 2), x0 = max(0, cx - side / 2), x1 = min(w, cx + side / 2)
            guard y0 < y1, x0 < x1 else { continue }
            for ch in 0..<input.c {
                let base = i * size + ch * plane
                for y in y0..<y1 { for x in x0..<x1 { input.data[base + y * w + x] = 0 } }
            }
        }
    }

    func shuffle(_ a: inout [Int], _ rng: inout SplitMix) {
        var i = a.count - 1
        while i > 0 {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
            i -= 1
        }
    }
}
