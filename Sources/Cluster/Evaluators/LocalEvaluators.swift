import ANASOD
import Evaluation
import Foundation
import Trainer
import Wire

/// Builds the evaluator for a job on a worker.
public protocol EvaluatorProvider: Sendable {
    /// The evaluator kinds this worker offers (announced in its hello).
    var kinds: [String] { get }
    /// The evaluator for `job`, on the GPU `device` (a `CUDA_VISIBLE_DEVICES` value) when the worker has
    /// GPU slots.
    /// - Throws: `EvaluationError` when this worker cannot evaluate it (a missing table, say).
    func evaluator(for job: Job, device: String?) throws -> any Evaluator
}

/// The evaluators a worker offers: NB201 table look-ups (tables loaded once per data set from
/// `nb201Directory`) and the synthetic evaluator, both honouring the job's `seconds` setting (simulated
/// training time); the Swift CPU trainer; and external trainer processes (`cluster/TRAINER.md`), each
/// attempt in a folder of its own under `workDirectory`.
public final class LocalEvaluators: EvaluatorProvider, @unchecked Sendable {
    /// The evaluator kinds offered: `external` only with a trainer command of the worker's own.
    public var kinds: [String] { trainerCommand == nil ? ["table", "synthetic", "trainer"] : ["table", "synthetic", "trainer", "external"] }
    let nb201Directory: String?
    let fashionMNISTDirectory: String
    /// The command that starts this worker's external trainers (`--trainer-command`): the worker's own
    /// decision, never taken from a job.
    let trainerCommand: String?
    let workDirectory: String
    private let lock = NSLock()
    private var tables = [String: NB201Table]()
    private var trainers = [String: CellTrainer]()

    public init(nb201Directory: String? = nil, fashionMNISTDirectory: String = IDXLoader.fashionMNISTDirectory,
                trainerCommand: String? = nil, workDirectory: String? = nil) {
        self.nb201Directory = nb201Directory
        self.fashionMNISTDirectory = fashionMNISTDirectory
        self.trainerCommand = trainerCommand
        self.workDirectory = workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("anasod-worker-\(getpid())").path
    }

    public func evaluator(for job: Job, device: String?) throws -> any Evaluator {
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
        case "external":
            guard let command = trainerCommand, !command.isEmpty else {
                throw EvaluationError(.unsupportedArchitecture,
                                      "this worker runs no external trainer: start it with --trainer-command CMD (a job never carries a command)")
            }
            let architecture = try space.parse(job.architecture)
            // The study id names a folder: nothing that could leave the work directory.
            guard !job.studyID.isEmpty, !job.studyID.contains("/"), job.studyID != ".", job.studyID != ".." else {
                throw EvaluationError(.unsupportedArchitecture, "study id '\(job.studyID)' cannot name a job folder")
            }
            let folder = URL(fileURLWithPath: workDirectory).appendingPathComponent(job.studyID)
                .appendingPathComponent("job-\(job.key.jobID)-attempt-\(job.key.attempt)").path
            let trainerJob = try TrainerJob(study: job.studyID, job: job.key.jobID, attempt: job.key.attempt, space: job.space,
                                            architecture: job.architecture, cell: architecture, encoding: job.encoding, seed: job.seed,
                                            settings: job.settings, workDirectory: folder, device: device,
                                            deadline: Date().timeIntervalSince1970 + job.timeout)
            let grace = Double(job.settings["kill_grace"] ?? "5") ?? 5
            return ExternalTrainerEvaluator(command: command, job: trainerJob, killGrace: grace)
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
                  progress: @Sendable (EvaluationProgress) -> Void) async throws -> Metrics {
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        var result = try await inner.evaluate(architecture, seed: seed, progress: progress)
        result.trainSeconds += seconds
        return result
    }
}
