import ArgumentParser
import Cluster
import Foundation
import Logging
import Trainer
import Wire

/// `anasod worker`.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker",
                                                    abstract: "Run a worker that evaluates jobs for a coordinator.")
    @Option(help: "The coordinator's endpoint (tcp://HOST:PORT or ipc://PATH).") var connect: String
    @Option(help: "Jobs run in parallel.") var slots = 1
    @Option(help: "Worker id (default: HOST-PID).") var id: String?
    @Option(name: .customLong("nb201-dir"), help: "Folder of the NB201 CSV files (default: $ANASOD_NB201_DIR, else ../shared/data/nb201).")
    var nb201Dir: String?
    @Option(help: "Log level.") var logLevel = "info"
    @Option(help: "Threads per job for the Swift trainer (1 suits one job per core; raise it for few slots on many cores).")
    var blasThreads = 1
    @Option(help: ArgumentHelp("GPU slots: one job per GPU, each job's trainer sees only its GPU (CUDA_VISIBLE_DEVICES).",
                               discussion: "A list (0,1,2,3) or 'auto' (the GPUs nvidia-smi -L lists). Replaces --slots."))
    var gpus: String?
    @Option(help: "Command that runs this worker's external trainers (its 'default' trainer profile; jobs never carry one).")
    var trainerCommand: String?
    @Option(name: .customLong("trainer"), help: ArgumentHelp("A named trainer profile, NAME=COMMAND (repeatable).",
                                                             discussion: "A study picks one with evaluator.trainer: NAME."))
    var trainerProfiles: [String] = []
    @Option(help: "Search spaces this worker's external trainers build, comma-separated (default: any).") var trainerSpaces: String?
    @Option(help: "Data sets this worker's external trainers read, comma-separated (default: any).") var trainerDatasets: String?
    @Option(help: "Folder for the external trainers' job folders, where unacknowledged reports wait too (default: a temporary folder).")
    var workDir: String?
    @Option(help: "Keys folder: this worker's worker.key_secret and the coordinator's coordinator.key (cluster/SECURITY.md).")
    var keys: String?
    @Option(help: "This worker's secret certificate (instead of KEYS/worker.key_secret).") var key: String?
    @Option(help: "The coordinator's public certificate (instead of KEYS/coordinator.key).") var coordinatorKey: String?

    func validate() throws {
        guard (1...4096).contains(slots) else { throw ValidationError("--slots must be in 1...4096") }
        if gpus != nil && slots != 1 { throw ValidationError("--gpus gives one slot per GPU; drop --slots") }
        guard (1...256).contains(blasThreads) else { throw ValidationError("--blas-threads must be in 1...256") }
        _ = try profiles()
    }

    /// `--trainer NAME=COMMAND` values by name.
    func profiles() throws -> [String: String] {
        do {
            return try TrainerProfiles.parse(trainerProfiles, defaultCommand: trainerCommand)
        } catch let error as ClusterError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        LogSetup.bootstrap(logLevel)
        Parallel.configure(threads: blasThreads)
        let id = self.id ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let logger = Logger(label: "worker \(id)")
        logger.info("Swift trainer: 3×3 convolutions on \(ShiftedConvolution.kernelDescription), \(blasThreads) thread(s) a job")
        var configuration = WorkerConfiguration(id: id, slots: slots)
        if let gpus {
            let list = gpus == "auto" ? try await GPU.discover() : try GPU.parseList(gpus)
            configuration = WorkerConfiguration(id: id, gpus: list)
            logger.info("GPU slots: \(list.map(\.announcement).joined(separator: ", "))")
        }
        let security = try KeyFolder.worker(directory: keys, key: key, coordinatorKey: coordinatorKey)
        if security == nil {
            logger.notice("no keys given: plain, unencrypted connection (accepted only on loopback or ipc://)")
        }
        let transport = try ZeroMQClient(connect: connect, identity: id, security: security ?? .none)
        transport.closeLinger = 2  // the last result and drain leave before the process exits
        let evaluators = LocalEvaluators(nb201Directory: nb201Dir, trainerCommand: trainerCommand, trainers: try profiles(),
                                         trainerSpaces: TrainerProfiles.names(trainerSpaces), trainerDatasets: TrainerProfiles.names(trainerDatasets),
                                         workDirectory: workDir)
        logger.info("offers \(evaluators.capabilities.map(\.summary).joined(separator: ", "))")
        // Reports of external-trainer jobs wait for their acknowledgement in their job folders too: a worker
        // restarted with the same --work-dir sends them again.
        let worker = Worker(configuration: configuration, transport: transport, evaluators: evaluators,
                            reportStore: ReportStore(workDirectory: evaluators.workDirectory), logger: logger)
        try await runServices([WorkerService(worker, logger: logger)], logger: logger)
    }
}
