import ANASOD
import Foundation
import Trainer

/// Trains an NB201 cell or a DARTS genotype with the Swift CPU trainer (`CellTrainer`): E epochs of SGD on
/// a training subset, the objective is the validation error after the last epoch, the test error is
/// reported too. Each epoch streams a progress report. Training runs on a thread of its own (it is long and CPU-bound, so it
/// stays off the Swift-concurrency pool) and stops between steps when the calling task is cancelled.
public struct TrainerEvaluator: Evaluator {
    public var kind: EvaluationSettings.Kind { .trainer }
    public let trainer: CellTrainer
    public let settings: TrainingSettings
    /// The search space of the architectures it is given (`nb201` or `darts`).
    public let space: SpaceName

    /// The search spaces whose networks the Swift trainer builds (`EvaluationSettings.Kind.trainer`'s).
    public static let spaces = EvaluationSettings.Kind.trainer.spaces ?? SpaceName.allCases

    /// - Parameter space: the space's name as the job gives it.
    /// - Throws: `EvaluationError` (class `configuration`) for a space the trainer cannot build, or a
    ///   network the data's images cannot go through (a DARTS network on planes that do not halve evenly).
    public init(trainer: CellTrainer, settings: TrainingSettings,
                space name: String = SpaceName.nb201.rawValue) throws {
        guard let space = SpaceName(rawValue: name), Self.spaces.contains(space) else {
            let built = Self.spaces.map(\.rawValue).joined(separator: " and ")
            throw EvaluationError(.unsupportedArchitecture, "the Swift trainer builds \(built) networks, not '\(name)'",
                                  class: .configuration)
        }
        if space == .darts, let problem = DARTSNetwork.problem(h: trainer.train.height, w: trainer.train.width,
                                                                layers: settings.cellsPerStage, auxiliary: settings.auxiliaryWeight > 0) {
            throw EvaluationError(.unsupportedArchitecture, problem, class: .configuration)
        }
        self.trainer = trainer
        self.settings = settings
        self.space = space
    }

    /// The network for `architecture`.
    /// - Throws: `EvaluationError.unsupportedArchitecture` when it is not a cell of this space.
    func blueprint(_ architecture: Architecture) throws -> NetworkBlueprint {
        do {
            try space.space.validate(architecture)
        } catch let error as ANASODError {
            throw EvaluationError(.unsupportedArchitecture, "not a \(space.rawValue) cell: \(error.message)")
        }
        switch space {
        case .darts: return .darts(genotype: architecture)
        case .nb201: return .nb201(operations: architecture.cells[0].operations)
        }
    }

    public func evaluate(_ architecture: Architecture, seed: UInt64,
                         progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        let blueprint = try blueprint(architecture)
        var settings = self.settings
        settings.seed = seed
        // Training runs on its own thread; its epoch reports come back through a stream that this task
        // drains, so `progress` is only ever called here, on the caller's task.
        let stop = StopFlag()
        let outcomeBox = OutcomeBox()
        let (reports, sink) = AsyncStream<EpochProgress>.makeStream()
        let trainer = self.trainer
        let thread = Thread { [settings] in
            outcomeBox.set(Result {
                try trainer.run(blueprint, settings: settings, progress: { epoch in sink.yield(epoch) }, shouldStop: { stop.isSet })
            })
            sink.finish()
        }
        thread.name = "anasod.trainer"
        thread.stackSize = 8 << 20
        await withTaskCancellationHandler {
            thread.start()
            for await report in reports { progress(report) }
        } onCancel: {
            stop.set()
        }
        let outcome = try outcomeBox.get()
        guard outcome.validationError.isFinite else {
            throw EvaluationError(.evaluationFailed, "training diverged (non-finite validation error)", class: .architecture)
        }
        return Metrics(validationError: outcome.validationError, testError: outcome.testError,
                                trainSeconds: outcome.trainSeconds, parameters: outcome.parameters,
                                flops: 2 * outcome.multiplyAccumulates, latencyMs: outcome.latencyMs)
    }
}

/// A flag set from a cancellation handler and read by the training thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var isSet: Bool { lock.withLock { flag } }
}

/// The training thread's outcome, read once the stream of reports has finished.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<TrainingOutcome, Error>?
    func set(_ r: Result<TrainingOutcome, Error>) { lock.withLock { result = r } }
    func get() throws -> TrainingOutcome {
        guard let r = lock.withLock({ result }) else { throw CancellationError() }
        return try r.get()
    }
}

extension TrainingSettings {
    /// The Swift trainer's settings for a study's plan; unset values keep the trainer's defaults.
    /// - Throws: `EvaluationError` (class `configuration`) for a plan this trainer cannot run.
    public init(plan: TrainingPlan) throws {
        self.init()
        if let v = plan.channels { channels = v }
        if let v = plan.cells { cellsPerStage = v }
        if let v = plan.epochs { epochs = v }
        if let v = plan.batchSize { batchSize = v }
        if let v = plan.validationSize { validationSize = v }
        if let v = plan.trainLimit { trainingLimit = v > 0 ? v : nil }
        if let v = plan.testLimit { testLimit = v }
        if let v = plan.learningRate { learningRate = Float(v) }
        if let v = plan.augment { augment = v }
        if let v = plan.cutout { cutout = v }
        if let v = plan.auxiliaryWeight { auxiliaryWeight = Float(v) }
        if let v = plan.dropPath { dropPath = Float(v) }
        do {
            try validate()
        } catch let error as TrainerError {
            throw EvaluationError(.unsupportedArchitecture, error.message, class: .configuration)
        }
    }
}
