import ANASOD
import Evaluation
import Foundation
import Testing
import Trainer

final class ReportLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items = [EpochProgress]()
    func add(_ p: EpochProgress) { lock.withLock { items.append(p) } }
    var all: [EpochProgress] { lock.withLock { items } }
}

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: IDXLoader.fashionMNISTDirectory + "/train-images-idx3-ubyte.gz"),
                             "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
struct TrainerEvaluatorTests {
    static func evaluator() throws -> TrainerEvaluator {
        var plan = TrainingPlan()
        (plan.channels, plan.cells, plan.epochs, plan.batchSize) = (4, 1, 2, 32)
        (plan.trainLimit, plan.validationSize, plan.testLimit) = (256, 128, 128)
        let settings = try TrainingSettings(plan: plan)
        return try TrainerEvaluator(trainer: try CellTrainer.fashionMNIST(settings: settings), settings: settings)
    }

    @Test func streamsOneReportPerEpochAndReturnsEveryMetric() async throws {
        let evaluator = try Self.evaluator()
        let cell = try NB201SearchSpace().parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
        let log = ReportLog()
        let result = try await evaluator.evaluate(cell, seed: 1) { log.add($0) }
        #expect(log.all.map(\.epoch) == [1, 2])
        #expect(result.validationError >= 0 && result.validationError <= 100)
        #expect(result.testError != nil)
        #expect(result.parameters ?? 0 > 0)
        #expect(result.flops ?? 0 > 0)
    }

    @Test func cancellationStopsTraining() async throws {
        let evaluator = try Self.evaluator()
        let cell = try NB201SearchSpace().parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
        let task = Task { try await evaluator.evaluate(cell, seed: 2) { _ in } }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    /// A DARTS genotype through the same evaluator: 28 × 28 images through 3 cells (reductions at cells 1
    /// and 2), drop-path and cutout on.
    @Test func trainsADARTSGenotype() async throws {
        var plan = TrainingPlan()
        (plan.channels, plan.cells, plan.epochs, plan.batchSize) = (4, 3, 2, 32)
        (plan.trainLimit, plan.validationSize, plan.testLimit) = (128, 64, 64)
        (plan.dropPath, plan.cutout) = (0.2, 8)
        let settings = try TrainingSettings(plan: plan)
        let evaluator = try TrainerEvaluator(trainer: try CellTrainer.fashionMNIST(settings: settings), settings: settings, space: "darts")
        let genotype = try DARTSSearchSpace().parse(
            "normal=|sep_conv_3x3~0|skip_connect~1|+|dil_conv_3x3~0|avg_pool_3x3~2|+|max_pool_3x3~1|sep_conv_5x5~3|"
            + "+|skip_connect~0|dil_conv_5x5~4|;reduce=|max_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~1|sep_conv_3x3~2|"
            + "+|skip_connect~0|dil_conv_3x3~3|+|skip_connect~2|max_pool_3x3~4|")
        let log = ReportLog()
        let result = try await evaluator.evaluate(genotype, seed: 3) { log.add($0) }
        #expect(log.all.map(\.epoch) == [1, 2])
        #expect(result.validationError >= 0 && result.validationError <= 100)
        #expect(result.testError != nil)
        var rng = SplitMix(state: 0)
        let network = DARTSNetwork(genotype: genotype, channels: 4, layers: 3, inputChannels: 1, classes: 10, rng: &rng)
        #expect(result.parameters == network.parameterCount)
        #expect(result.flops == 2 * network.multiplyAccumulates(h: 28, w: 28))
        // An NB201 cell is not a DARTS genotype.
        let nb201 = try NB201SearchSpace().parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
        await #expect { try await evaluator.evaluate(nb201, seed: 1) { _ in } } throws: {
            ($0 as? EvaluationError)?.message.contains("not a darts cell") == true
        }
    }

    /// Fashion-MNIST's 28 × 28 images reach the auxiliary head at 7 × 7: refused when the evaluator is made.
    @Test func aDARTSNetworkTheImagesCannotFeedIsAConfigurationError() throws {
        var plan = TrainingPlan()
        (plan.cells, plan.auxiliaryWeight, plan.trainLimit, plan.validationSize, plan.testLimit) = (6, 0.4, 64, 32, 0)
        let settings = try TrainingSettings(plan: plan)
        let trainer = try CellTrainer.fashionMNIST(settings: settings)
        #expect { try TrainerEvaluator(trainer: trainer, settings: settings, space: "darts") } throws: {
            ($0 as? EvaluationError)?.failureClass == .configuration && "\($0)".contains("7×7")
        }
        #expect { try TrainerEvaluator(trainer: trainer, settings: settings, space: "nb301") } throws: {
            ($0 as? EvaluationError)?.failureClass == .configuration
        }
    }

    @Test func settingsTheTrainerCannotRunAreConfigurationErrors() {
        var plan = TrainingPlan()
        plan.batchSize = 1
        #expect { try TrainingSettings(plan: plan) } throws: { ($0 as? EvaluationError)?.failureClass == .configuration }
        #expect(throws: ANASODError.self) { try plan.validate() }  // the coordinator refuses it before any job
    }
}
