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
        let settings = try TrainingSettings(settings: ["channels": "4", "cells": "1", "epochs": "2", "batch_size": "32",
                                                       "train_limit": "256", "validation_size": "128", "test_limit": "128"])
        return TrainerEvaluator(trainer: try CellTrainer.fashionMNIST(settings: settings), settings: settings)
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

    @Test func badSettingsNameTheKey() {
        #expect(throws: EvaluationError.self) { try TrainingSettings(settings: ["epochs": "many"]) }
        #expect(throws: EvaluationError.self) { try TrainingSettings(settings: ["batch_size": "1"]) }
    }
}
