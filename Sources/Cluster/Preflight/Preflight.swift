import ANASOD
import Evaluation
import Foundation
import Search
import Trainer

/// What the machine's own workers will use: where they read tables and data, the trainer they run, the
/// GPUs they are given (`anasod search`, `anasod check`).
public struct LocalWorkers: Sendable {
    public var nb201Directory: String?
    public var fashionMNISTDirectory: String
    /// The external trainer's command line (`--trainer-command`, else `evaluator.command`).
    public var trainerCommand: String?
    /// `--gpus` as given (`auto` or a list).
    public var gpus: String?
    /// The `nvidia-smi` to ask (tests point it elsewhere).
    public var nvidiaSMI = "nvidia-smi"

    public init(nb201Directory: String? = nil, fashionMNISTDirectory: String = IDXLoader.fashionMNISTDirectory,
                trainerCommand: String? = nil, gpus: String? = nil) {
        self.nb201Directory = nb201Directory
        self.fashionMNISTDirectory = fashionMNISTDirectory
        self.trainerCommand = trainerCommand
        self.gpus = gpus
    }
}

/// Checks a study before anything listens or writes a journal: every combination that cannot work is an
/// error naming the keys, one line (`ClusterError.invalidConfiguration`). The settings' own combinations
/// (evaluator × space, data set × evaluator, ranges) are checked when the configuration is read
/// (`StudyConfiguration.validate()`); this adds the strategy and, for the machine's own workers, that the
/// data exists where it is read, the trainer command can run, and the GPUs named exist.
public enum Preflight {
    /// What the check found: the GPUs to use (for `--gpus`), and parts it skipped, with the reason.
    public struct Report: Sendable {
        public var gpus: [GPU] = []
        public var skipped: [String] = []
        /// How much of the space the study's constraints leave (nil without constraints).
        public var constraints: StudyMeasures.Extent?
    }

    /// - Parameter gpusOptional: `anasod check` on a machine that may have no GPU: a study that trains on
    ///   GPUs only (`evaluator.device: gpu`) without `--gpus` uses the GPUs found, or skips the GPU part with
    ///   the reason, instead of failing.
    public static func check(_ c: StudyConfiguration, local: LocalWorkers?, gpusOptional: Bool = false) async throws -> Report {
        func fail(_ message: String) -> ClusterError { ClusterError(.invalidConfiguration, message) }
        try c.validate()
        // What every worker would refuse (`EvaluationSettings.checkOnWorker`), said before the study starts.
        do {
            try c.evaluator.checkOnWorker(space: c.space.name, timeout: c.jobTimeout)
        } catch let error as EvaluationError {
            throw fail(error.message)
        }
        let space = c.space.space
        _ = try c.makeStrategy(space: space)
        var report = Report()
        // Constraints that leave nothing to train are refused, saying how far off they are.
        if let extent = StudyMeasures.extent(for: c, feasibility: try StudyMeasures.feasibility(for: c)) {
            guard extent.anyFeasible else {
                let smallest = extent.smallest.sorted { $0.key < $1.key }.map { "\($0.key) \(Constraint.format($0.value))" }
                let cells = String(format: extent.cells < 1e9 ? "%.0f" : "%.3g", extent.cells)
                let none = extent.sampled.map { "leave no cell of a sample of \($0) (of \(cells)) feasible" } ?? "leave no cell of the \(cells) feasible"
                throw fail("'objective.constraints' (\(c.constraints.map(\.description).joined(separator: ", "))) \(none); "
                           + "the smallest cells have \(smallest.joined(separator: ", "))")
            }
            report.constraints = extent
        }
        guard let local else { return report }
        let settings = c.evaluator
        switch settings.kind {
        case .table:
            do {
                let path = try NB201Table.resolve(dataset: settings.datasetName, directory: local.nb201Directory)
                _ = try NB201Table.load(path: path)
            } catch let error as EvaluationError {
                throw fail("'evaluator.dataset: \(settings.datasetName)': \(error.message)")
            }
        case .trainer:
            let missing = IDXLoader.fashionMNISTFiles.filter {
                !FileManager.default.isReadableFile(atPath: "\(local.fashionMNISTDirectory)/\($0)")
            }
            if !missing.isEmpty {
                throw fail("'evaluator.kind: trainer' reads Fashion-MNIST from \(local.fashionMNISTDirectory), which lacks "
                           + "\(missing.joined(separator: ", ")) (apt-get install dataset-fashion-mnist)")
            }
            if c.space == .darts {
                // Fashion-MNIST's 28 × 28 images through the DARTS network the study sizes.
                let training = try TrainingSettings(plan: settings.training)
                if let problem = DARTSNetwork.problem(h: IDXLoader.fashionMNISTSide, w: IDXLoader.fashionMNISTSide,
                                                      layers: training.cellsPerStage, auxiliary: training.auxiliaryWeight > 0) {
                    throw fail("'evaluator.cells: \(training.cellsPerStage)' on Fashion-MNIST: \(problem)")
                }
            }
        case .external:
            guard let command = local.trainerCommand else {
                throw fail("'evaluator.kind: external' needs a trainer on this machine's workers: set 'evaluator.command' "
                           + "or pass --trainer-command")
            }
            try checkCommand(command)
        case .synthetic:
            break
        }
        if local.gpus == nil && c.evaluator.device == .gpu && gpusOptional {
            do {
                report.gpus = try await GPU.discover(nvidiaSMI: local.nvidiaSMI)
            } catch let error as ClusterError {
                report.skipped.append("the GPU part: \(error.message.replacingOccurrences(of: "--gpus auto: ", with: ""))")
            }
        } else if let gpus = local.gpus {
            let found: [GPU]
            do {
                found = try await GPU.discover(nvidiaSMI: local.nvidiaSMI)
            } catch let error as ClusterError {
                throw fail(gpus == "auto" ? error.message : "--gpus \(gpus): cannot list this machine's GPUs: \(error.message)")
            }
            if gpus == "auto" {
                report.gpus = found
            } else {
                let wanted = try GPU.parseList(gpus)
                let known = Set(found.map(\.index))
                if let absent = wanted.first(where: { !known.contains($0.index) && !$0.index.hasPrefix("GPU-") }) {
                    throw fail("--gpus \(gpus): this machine has no GPU \(absent.index) (nvidia-smi -L lists \(found.map(\.index).joined(separator: ", ")))")
                }
                report.gpus = wanted.map { gpu in found.first { $0.index == gpu.index } ?? gpu }
            }
        } else if settings.device == .gpu {
            throw fail("'evaluator.device: gpu' trains on GPU slots only: pass --gpus auto (or --gpus 0,1,…)")
        }
        return report
    }

    /// The command's program exists and is executable (on `PATH`, or as a path), and every argument that
    /// names a script (`*.py`, `*.sh`) exists. A command the shell must interpret (pipes, `$VAR`) is taken
    /// at its word: only its first program is checked.
    static func checkCommand(_ command: String) throws {
        func fail(_ message: String) -> ClusterError { ClusterError(.invalidConfiguration, message) }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard var program = words.first else { throw fail("'evaluator.command' is empty") }
        var rest = words.dropFirst()
        // `env A=1 python3 …` and `A=1 python3 …`: the program is the first word that is no assignment.
        while program.contains("=") || program == "env", let next = rest.first {
            program = next
            rest = rest.dropFirst()
        }
        let fm = FileManager.default
        if program.contains("/") {
            guard fm.isExecutableFile(atPath: program) else {
                throw fail("trainer command '\(command)': '\(program)' is not an executable file")
            }
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            guard path.split(separator: ":").contains(where: { fm.isExecutableFile(atPath: "\($0)/\(program)") }) else {
                throw fail("trainer command '\(command)': '\(program)' is not on PATH")
            }
        }
        for word in rest where (word.hasSuffix(".py") || word.hasSuffix(".sh")) && !word.contains("$") {
            guard fm.isReadableFile(atPath: word) else {
                throw fail("trainer command '\(command)': the script '\(word)' does not exist (relative to \(fm.currentDirectoryPath))")
            }
        }
    }
}
