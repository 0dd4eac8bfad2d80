import ANASOD
import Evaluation
import Foundation
import Trainer
import Wire

/// Builds the evaluator for a job on a worker.
public protocol EvaluatorProvider: Sendable {
    /// What this worker can evaluate (announced in its hello).
    var capabilities: [Capability] { get }
    /// The evaluator for `job`, whose cells belong to `space` (the space `job.space` names, as the worker
    /// resolved it), on the GPU `device` (a `CUDA_VISIBLE_DEVICES` value) when the worker has GPU slots.
    /// - Throws: `EvaluationError` (with its failure class) when this worker cannot evaluate it.
    func evaluator(for job: Job, space: any SearchSpace, device: String?) throws -> any Evaluator
}

/// The evaluators a worker offers: NB201 table look-ups (tables loaded once per data set from
/// `nb201Directory`) and the synthetic evaluator, both honouring the job's `seconds` setting (simulated
/// training time); the Swift CPU trainer; and external trainer processes (`cluster/TRAINER.md`), each
/// attempt in a folder of its own under `workDirectory`. A job's settings are checked again here before
/// anything acts on them (`EvaluationSettings.checkOnWorker`), and data locations are this worker's own:
/// a job names a data set, never a path.
public final class LocalEvaluators: EvaluatorProvider, @unchecked Sendable {
    let nb201Directory: String?
    let fashionMNISTDirectory: String
    /// This worker's external trainers by profile (`--trainer-command` is the `default` profile): the
    /// worker's own decision, never taken from a job.
    let trainers: [String: String]
    /// What the external trainers build and read (announced; empty: any).
    let trainerSpaces: [String]
    let trainerDatasets: [String]
    public let workDirectory: String
    private let lock = NSLock()
    private var tables = [String: NB201Table]()
    private var cellTrainers = [String: CellTrainer]()

    public init(nb201Directory: String? = nil, fashionMNISTDirectory: String = IDXLoader.fashionMNISTDirectory,
                trainerCommand: String? = nil, trainers: [String: String] = [:], trainerSpaces: [String] = [],
                trainerDatasets: [String] = [], workDirectory: String? = nil) {
        self.nb201Directory = nb201Directory
        self.fashionMNISTDirectory = fashionMNISTDirectory
        var profiles = trainers
        if let trainerCommand, !trainerCommand.isEmpty { profiles["default"] = trainerCommand }
        self.trainers = profiles
        self.trainerSpaces = trainerSpaces
        self.trainerDatasets = trainerDatasets
        self.workDirectory = workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("anasod-worker-\(getpid())").path
    }

    /// The NB201 tables present on this worker (by data set name).
    public var tableDatasets: [String] {
        EvaluationSettings.Kind.table.datasets!.filter {
            // Throws only for a name that is not a plain data-set name; these are `Kind.table`'s own.
            guard let path = try? NB201Table.resolve(dataset: $0, directory: nb201Directory) else { return false }
            return FileManager.default.isReadableFile(atPath: path)
        }
    }

    /// Whether the Fashion-MNIST files the Swift trainer reads are here.
    public var hasFashionMNIST: Bool {
        IDXLoader.fashionMNISTFiles.allSatisfy { FileManager.default.isReadableFile(atPath: "\(fashionMNISTDirectory)/\($0)") }
    }

    /// Tables for the data sets found (a `NAME.csv` of the table folder is always accepted and checked when a
    /// job names it),
    /// synthetic, the Swift trainer where Fashion-MNIST is installed, external trainers where the worker
    /// has any.
    public var capabilities: [Capability] {
        func spaces(_ kind: EvaluationSettings.Kind) -> [String] { kind.spaces?.map(\.rawValue) ?? [] }
        var list = [Capability(kind: .synthetic, datasets: EvaluationSettings.Kind.synthetic.datasets ?? [])]
        let tables = tableDatasets
        if !tables.isEmpty { list.append(Capability(kind: .table, spaces: spaces(.table), datasets: tables)) }
        if hasFashionMNIST {
            let datasets = EvaluationSettings.Kind.trainer.datasets ?? []
            list.append(Capability(kind: .trainer, spaces: spaces(.trainer), datasets: datasets))
        }
        if !trainers.isEmpty {
            list.append(Capability(kind: .external, spaces: trainerSpaces, datasets: trainerDatasets, profiles: trainers.keys.sorted()))
        }
        return list
    }

    public func evaluator(for job: Job, space: any SearchSpace, device: String?) throws -> any Evaluator {
        let settings = job.evaluation
        // Every setting used below, checked again: a job is input from the network, whoever sent it.
        try settings.checkOnWorker(space: job.space, timeout: job.timeout)
        switch settings.kind {
        case .table:
            let dataset = settings.datasetName
            let table = try lock.withLock { () throws -> NB201Table in
                if let cached = tables[dataset] { return cached }
                let loaded = try NB201Table.load(path: NB201Table.resolve(dataset: dataset, directory: nb201Directory))
                tables[dataset] = loaded
                return loaded
            }
            return DelayedEvaluator(inner: TableEvaluator(table: table), seconds: settings.seconds)
        case .trainer:
            let training = try TrainingSettings(plan: settings.training)
            // One loaded, split and normalised copy of the data per split definition.
            let key = "\(training.validationSize)/\(training.trainingLimit ?? -1)/\(training.testLimit ?? -1)"
            let trainer = try lock.withLock { () throws -> CellTrainer in
                if let cached = cellTrainers[key] { return cached }
                do {
                    let loaded = try CellTrainer.fashionMNIST(settings: training, directory: fashionMNISTDirectory)
                    cellTrainers[key] = loaded
                    return loaded
                } catch let error as TrainerError {
                    // A split larger than the data is the study's mistake; missing files are this worker's.
                    throw EvaluationError(.fileUnreadable, error.message, class: error.code == .invalidSettings ? .configuration : .data)
                }
            }
            return try TrainerEvaluator(trainer: trainer, settings: training, space: job.space)
        case .external:
            guard let command = trainers[settings.trainerProfile] else {
                throw EvaluationError(.unsupportedArchitecture,
                                      "this worker has no trainer '\(settings.trainerProfile)' (it offers \(trainers.keys.sorted())): "
                                      + "start it with --trainer-command CMD or --trainer NAME=CMD (a job never carries a command)",
                                      class: .data)
            }
            let architecture = try space.parse(job.architecture)
            try space.validate(architecture)
            // The study id names a folder: nothing that could leave the work directory.
            guard !job.studyID.isEmpty, !job.studyID.contains("/"), job.studyID != ".", job.studyID != ".." else {
                throw EvaluationError(.unsupportedArchitecture, "study id '\(job.studyID)' cannot name a job folder", class: .configuration)
            }
            let folder = ReportStore.jobFolder(workDirectory: workDirectory, study: job.studyID, key: job.key)
            let trainerJob = TrainerJob(study: job.studyID, job: job.key.jobID, attempt: job.key.attempt, space: space,
                                        architecture: job.architecture, cell: architecture, encoding: job.encoding, seed: job.seed,
                                        evaluation: settings, workDirectory: folder, device: device,
                                        deadline: Date().timeIntervalSince1970 + job.timeout)
            return ExternalTrainerEvaluator(command: command, job: trainerJob, killGrace: settings.killGrace)
        case .synthetic:
            return SyntheticEvaluator(space: space, seconds: settings.seconds, failRate: settings.failRate,
                                      epochs: settings.training.epochs ?? 1)
        }
    }
}

/// Wraps an evaluator with a fixed, cancellable delay (simulated training time for table look-ups).
struct DelayedEvaluator: Evaluator {
    let inner: any Evaluator
    let seconds: Double
    var kind: EvaluationSettings.Kind { inner.kind }

    func evaluate(_ architecture: Architecture, seed: UInt64,
                  progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        // Bounded (`checkOnWorker` refuses more): a huge or non-finite value must not trap the conversion.
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(min(seconds, EvaluationSettings.longestSeconds) * 1e9)) }
        var result = try await inner.evaluate(architecture, seed: seed, progress: progress)
        result.trainSeconds += seconds
        return result
    }
}
