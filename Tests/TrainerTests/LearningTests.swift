import ANASOD
import CLinearAlgebra
import Foundation
import TestSupport
import Testing
@testable import Trainer

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: IDXLoader.fashionMNISTDirectory + "/train-images-idx3-ubyte.gz"),
                             "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
struct LearningTests {
    static let shared = Result { try LearningTests.load() }

    static func trainer() throws -> CellTrainer { try shared.get() }

    static func load() throws -> CellTrainer {
        Parallel.configure(threads: 1)
        var s = TrainingSettings()
        s.trainingLimit = 2_000
        s.validationSize = 1_000
        s.testLimit = 0
        return try CellTrainer.fashionMNIST(settings: s)
    }

    static func settings() -> TrainingSettings {
        var s = TrainingSettings()
        s.channels = 8
        s.cellsPerStage = 1
        s.epochs = 4
        s.batchSize = 32
        s.learningRate = 0.05
        s.trainingLimit = 2_000
        s.validationSize = 1_000
        return s
    }

    @Test func aSmallNetworkLearnsFashionMNIST() async throws {
        try await offPool {
            let trainer = try Self.trainer()
            #expect(trainer.train.count == 2_000)
            #expect(trainer.validation.count == 1_000)
            let outcome = try trainer.run(operations: [3, 0, 3, 1, 0, 1], settings: Self.settings())
            #expect(outcome.validationError <= 30, "validation accuracy \(100 - outcome.validationError) %")
            #expect(outcome.epochs.count == 4)
            #expect(outcome.stepLosses.last! < outcome.stepLosses.first!)
            // One image's forward pass, timed after training: a positive, finite number of milliseconds.
            #expect(outcome.latencyMs > 0 && outcome.latencyMs.isFinite && outcome.latencyMs < 1000, "\(outcome.latencyMs) ms")
        }
    }

    @Test func theSameSeedGivesBitIdenticalLosses() async throws {
        try await offPool {
            let trainer = try Self.trainer()
            var s = Self.settings()
            s.epochs = 1
            s.trainingLimit = 512
            let a = try trainer.run(operations: [3, 2, 4, 1, 3, 2], settings: s).stepLosses
            let b = try trainer.run(operations: [3, 2, 4, 1, 3, 2], settings: s).stepLosses
            #expect(a == b)
            s.seed = 1
            #expect(try trainer.run(operations: [3, 2, 4, 1, 3, 2], settings: s).stepLosses != a)
        }
    }

    /// DARTS networks too, with drop-path masks and cutout squares drawn from the seed.
    @Test func aDARTSNetworkWithDropPathAndCutoutIsSeeded() async throws {
        try await offPool {
            let full = try Self.trainer()
            let trainer = CellTrainer(train: full.train.subset(Array(0..<256)), validation: full.validation.subset(Array(0..<128)), test: nil)
            var s = Self.settings()
            (s.epochs, s.channels, s.cellsPerStage) = (2, 4, 3)
            (s.dropPath, s.cutout) = (0.3, 10)
            let genotype = try DARTSSearchSpace().parse(DARTSNetworkTests.dartsV2)
            let a = try trainer.run(.darts(genotype: genotype), settings: s)
            #expect(a.stepLosses.count == 16 && a.stepLosses.allSatisfy(\.isFinite))
            #expect(try trainer.run(.darts(genotype: genotype), settings: s).stepLosses == a.stepLosses)
            s.dropPath = 0
            #expect(try trainer.run(.darts(genotype: genotype), settings: s).stepLosses != a.stepLosses)
        }
    }
}

@Suite struct DataLoaderTests {
    /// Cutout zeroes one square per image, the same on every channel, clipped at the border: full 6 × 6
    /// squares inside, smaller ones at the edges, and nothing else touched.
    @Test func cutoutZeroesOneClippedSquarePerImage() {
        let (n, c, h, w) = (200, 2, 12, 12)
        let x = Tensor(n: n, c: c, h: h, w: w, data: [Float](repeating: 1, count: n * c * h * w))
        var rng = SplitMix(state: 5)
        CellTrainer.cutout(x, side: 6, rng: &rng)
        var sizes = Set<Int>()
        for i in 0..<n {
            let plane = { (ch: Int) in (0..<(h * w)).filter { x.data[(i * c + ch) * h * w + $0] == 0 } }
            let zeros = plane(0)
            #expect(zeros == plane(1))
            let rows = Set(zeros.map { $0 / w }), cols = Set(zeros.map { $0 % w })
            #expect(zeros.count == rows.count * cols.count, "not a rectangle")
            #expect(rows.count <= 6 && cols.count <= 6)
            sizes.insert(zeros.count)
        }
        #expect(sizes.contains(36) && sizes.contains { $0 < 36 })
    }

    @Test func corruptAndMissingFilesAreClearErrors() throws {
        #expect(throws: TrainerError.self) { try IDXLoader.load(images: "/no/such.gz", labels: "/no/such.gz") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.idx").path
        try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]).write(to: URL(fileURLWithPath: bad))  // truncated
        do {
            _ = try IDXLoader.load(images: bad, labels: bad)
            Issue.record("loaded a truncated file")
        } catch let e as TrainerError {
            #expect(e.message.contains("truncated"))
        }
        let cifar = dir.appendingPathComponent("data_batch_1.bin").path
        try Data(repeating: 1, count: 3073 * 2).write(to: URL(fileURLWithPath: cifar))
        let loaded = try CIFAR10Loader.load(files: [cifar])
        #expect(loaded.count == 2 && loaded.channels == 3 && loaded.labels == [1, 1])
        try Data(repeating: 1, count: 3000).write(to: URL(fileURLWithPath: cifar))
        #expect(throws: TrainerError.self) { try CIFAR10Loader.load(files: [cifar]) }
    }

    @Test func splitsAreSeededAndDisjoint() {
        let images = (0..<100).map { Float($0) }
        let data = Dataset(images: images, labels: Array(repeating: 0, count: 100), channels: 1, height: 1, width: 1, classes: 1)
        let (a, b) = data.split(validation: 20, trainingLimit: 50, seed: 3)
        let (c, _) = data.split(validation: 20, trainingLimit: 50, seed: 3)
        #expect(a.count == 50 && b.count == 20)
        #expect(a.images == c.images)
        #expect(Set(a.images).isDisjoint(with: b.images))
    }
}
