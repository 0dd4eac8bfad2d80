import ANASOD
import Evaluation
import Foundation
import Trainer
import Wire

/// Builds the evaluator for a job on a worker.
public protocol EvaluatorProvider: Sendable {
    /// The evaluator kinds this worker offers (announced in its hello).
    var kinds: [String] { get }
    /// The evaluator for `job`.
    /// - Throws: `EvaluationError` when this worker cannot evaluate it (a missing table, say).
    func evaluator(for job: Job) throws -> any Evaluator
}

/// The evaluators a worker runs in-process: NB201 table look-ups (tables loaded once per data set from
/// `nb201Directory`) and the synthetic evaluator. Both honour the job's `seconds` setting (simulated
/// training time).
public final class LocalEvaluators: EvaluatorProvider, @unchecked Sendable {
    public let kinds = ["table", "synthetic", "trainer"]
    let nb201Directory: String?
    let fashionMNISTDirectory: String
    private let lock = NSLock()
    private var tables = [String: NB201Table]()
    private var trainers = [String: CellTrainer]()

    public init(nb201Directory: String? = nil, fashionMNISTDirectory: String = IDXLoader.fashionMNISTDirectory) {
        self.nb201Directory = nb201Directory
        self.fashionMNISTDirectory = fashionMNISTDirectory
    }

    public func evaluator(for job: Job) throws -> any Evaluator {
        let seconds = Double(job.settings["seconds"] ?? "0") ?? 0
        let space: any SearchSpace
        do {
            space = try SpaceCatalog.space(named: job.space)
        } catch {
            throw EvaluationError(.unsupportedArchitecture, "this worker does not know the search space '\(job.space)'")
        }
        switch job.evaluator {
        case "table":
            guard job.space == "nb201" else {
                throw EvaluationError(.unsupportedArchitecture, "the table evaluator needs the nb201 space, not '\(job.space)'")
            }
            let dataset = job.settings["dataset"] ?? "cifar10"
            let table = try lock.withLock { () throws -> NB201Table in
                if let cached = tables[dataset] { return cached }
                let loaded = try NB201Table.load(path: NB201Table.resolve(dataset, directory: nb201Directory))
                tables[dataset] = loaded
                return loaded
            }
            return DelayedEvaluator(inner: TableEvaluator(table: table), seconds: seconds)
        case "trainer":
            let settings = try TrainingSettings(settings: job.settings)
            let dataset = job.settings["dataset"] ?? "fashion-mnist"
            guard dataset == "fashion-mnist" else {
                throw EvaluationError(.unsupportedArchitecture, "the Swift trainer reads 'fashion-mnist', not '\(dataset)'")
            }
            // One loaded, split and normalised copy of the data per split definition.
            let key = "\(dataset)/\(settings.validationSize)/\(settings.trainingLimit ?? -1)/\(settings.testLimit ?? -1)"
            let trainer = try lock.withLock { () throws -> CellTrainer in
                if let cached = trainers[key] { return cached }
                do {
                    let loaded = try CellTrainer.fashionMNIST(settings: settings, directory: fashionMNISTDirectory)
                    trainers[key] = loaded
                    return loaded
                } catch let error as TrainerError {
                    throw EvaluationError(.fileUnreadable, error.message)
                }
            }
            return TrainerEvaluator(trainer: trainer, settings: settings)
        case "synthetic":
            return SyntheticEvaluator(space: space, seconds: seconds, failRate: Double(job.settings["fail_rate"] ?? "0") ?? 0)
        default:
            throw EvaluationError(.unsupportedArchitecture, "this worker has no '\(job.evaluator)' evaluator")
        }
    }
}

/// Wraps an evaluator with a fixed, cancellable delay (simulated training time for table look-ups).
struct DelayedEvaluator: Evaluator {
    let inner: any Evaluator
    let seconds: Double
    var kind: String { inner.kind }

    func evaluate(_ architecture: Architecture, seed: UInt64,
                  progress: @Sendable (EvaluationProgress) -> Void) async throws -> EvaluationResult {
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        var result = try await inner.evaluate(architecture, seed: seed, progress: progress)
        result.trainSeconds += seconds
        return result
    }
}
