import ANASOD
import Evaluation
import Foundation
import Testing
import Trainer

final class ReportLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items = [EvaluationProgress]()
    func add(_ p: EvaluationProgress) { lock.withLock { items.append(p) } }
    var all: [EvaluationProgress] { lock.withLock { items } }
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

    @Test func settingsTheTrainerCannotRunAreConfigurationErrors() {
        var plan = TrainingPlan()
        plan.batchSize = 1
        #expect { try TrainingSettings(plan: plan) } throws: { ($0 as? EvaluationError)?.failureClass == .configuration }
        #expect(throws: ANASODError.self) { try plan.validate() }  // the coordinator refuses it before any job
    }
}
