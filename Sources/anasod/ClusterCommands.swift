import ArgumentParser
import BayesOpt
import Trainer
import Cluster
import Foundation
import Journal
import Logging
import Search
import ServiceLifecycle
import Wire

/// Flags that override single values of a study configuration.
struct StudyOverrides: ParsableArguments {
    @Option(help: "Study configuration (YAML); see configs/README.md.")
    var config: String

    @Option(help: "Override: the study id.") var study: String?
    @Option(help: "Override: the strategy.") var strategy: String?
    @Option(help: "Override: distinct results to collect.") var budget: Int?
    @Option(help: "Override: the seed.") var seed: UInt64?
    @Option(help: "Override: the SQLite journal path.") var journal: String?
    @Option(help: "Override: where the coordinator listens (tcp://HOST:PORT, port 0 for any; ipc://PATH).") var listen: String?
    @Option(help: "Override: the data set (an NB201 table name or CSV for the table evaluator).") var dataset: String?
    @Option(help: "Override: simulated seconds per evaluation.") var seconds: Double?
    @Option(help: "Override: the keys folder (coordinator.key_secret, workers/*.key); see cluster/SECURITY.md.") var keys: String?
    @Option(help: "Override: curve (default: CurveZMQ, only admitted worker keys) or none (plain; loopback and ipc:// only).")
    var security: SecurityMode?
    @Flag(help: "Keep the journal on a network file system (NFS, SMB, Lustre, …) although SQLite's locking is unsafe there.")
    var allowNetworkJournal = false

    func load() throws -> StudyConfiguration {
        var c = try StudyConfiguration(file: config)
        if let study { c.study = study }
        if let strategy {
            do {
                c.strategy = try StrategyChoice(parsing: strategy)
            } catch let error as SearchError {
                throw ValidationError("--strategy: \(error.message)")
            }
        }
        if let budget { c.budget = budget }
        if let seed { c.seed = seed }
        if let journal { c.journal = journal }
        if let listen { c.listen = listen }
        if let dataset { c.evaluator.dataset = dataset }
        if let seconds { c.evaluator.seconds = seconds }
        if let keys { c.keys = keys }
        if let security { c.security = security }
        try c.validate()
        switch JournalLocation.kind(ofJournal: c.journal) {
        case .network where !allowNetworkJournal:
            throw ValidationError(JournalLocation.problem(ofJournal: c.journal)!)
        case .unknown(let name):
            FileHandle.standardError.write(Data(("warning: journal '\(c.journal)' is on \(name), which may be a network file "
                                                 + "system: SQLite needs local locks; prefer a local disk\n").utf8))
        default: break
        }
        return c
    }
}

enum LogSetup {
    static func bootstrap(_ level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return StatusLineLogHandler(inner: handler)
        }
    }
}

/// Runs a blocking-loop component as a service: a SIGINT/SIGTERM becomes a graceful stop.
struct GracefulService: Service {
    let body: @Sendable () async throws -> Void
    let onStop: @Sendable () -> Void

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await body()
        } onGracefulShutdown: {
            onStop()
        }
    }
}

func runGracefully(_ logger: Logger, body: @escaping @Sendable () async throws -> Void,
                   onStop: @escaping @Sendable () -> Void) async throws {
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: GracefulService(body: body, onStop: onStop), successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

func openJournal(_ path: String) throws -> SQLiteJournal {
    let directory = (path as NSString).deletingLastPathComponent
    // A folder that cannot be made: SQLiteJournal's error below names the journal's path.
    if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    // The coordinator is the journal's one writer: a second coordinator on it is refused.
    return try SQLiteJournal(path: path, exclusive: true)
}

/// Prints the outcome; a study that stopped because evaluations kept failing is an error.
func finish(_ status: CoordinatorStatus?, journal: String) throws {
    guard let status else { return }
    printSummary(status, journal: journal)
    if let reason = status.abortReason { throw ClusterError(.stopped, "study stopped: \(reason)") }
}

func printSummary(_ status: CoordinatorStatus, journal: String) {
    print("study \(status.study): \(status.successes)/\(status.budget) evaluated, \(status.failed) failed, "
          + String(format: "%.1f s", status.elapsed))
    if let best = status.best {
        print(String(format: "best validation error: %.3f", best.value))
        print("best cell: \(best.architecture)")
    }
    let r = status.refusals
    if r != RefusalCounts() {
        print("dropped messages: \(r.unwelcomed) from peers never welcomed, \(r.notLeaseHolder) for leases the sender "
              + "did not hold, \(r.invalidValues) with values out of range, \(r.refusedAdoptions) job claims refused, "
              + "\(r.malformed) malformed, \(r.flooded) dropped from floods, \(r.takenIdentities) under another key's worker id; "
              + "connections refused: \(r.unknownKeys) unknown key(s), \(r.revokedKeys) on revoked keys, \(r.failedHandshakes) failed handshake(s); "
              + "\(r.evictedWorkers) worker(s) evicted, \(r.quarantinedWorkers) quarantine(s)")
        if !status.keyRefusals.isEmpty {
            print("refused by key: " + status.keyRefusals.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
    for (key, reason) in status.quarantined.sorted(by: { $0.key < $1.key }) { print("quarantined key \(key): \(reason)") }
    print("journal: \(journal)")
}

/// `anasod coordinator`.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "coordinator",
                                                    abstract: "Run a study's coordinator: workers connect to it.")
    @OptionGroup var study: StudyOverrides
    @Flag(help: "Continue the study in the journal: every result kept, in-flight jobs re-leased.") var resume = false
    @Flag(help: "With --resume: go on with a study that stopped because its jobs kept failing.")
    var continueAfterFailures = false
    @Flag(help: "With --resume: accept a configuration that differs from the journal's (the change is journaled).")
    var allowConfigChange = false
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "info"
    @Option(help: "Serve the live dashboard and /metrics at HOST:PORT (port 0: any free one). Beyond loopback it needs the token it prints.")
    var dashboard: String?

    func run() async throws {
        LogSetup.bootstrap(logLevel)
        CoordinatorProcess.prepare()
        let c = try study.load()
        let logger = Logger(label: "coordinator")
        _ = try await Preflight.check(c, local: nil)  // the workers' own data is checked by each worker
        let (security, watcher) = try ClusterSecurity.server(for: c, keys: nil, logger: logger)
        defer { watcher?.stop() }
        let server = try ZeroMQServer(bind: c.listen, security: security)
        let launcher = DashboardLauncher(study: c.study)
        let coordinator = try Coordinator(configuration: c, journal: try openJournal(c.journal), transport: server,
                                          resume: resume, continueAfterFailures: continueAfterFailures,
                                          allowConfigurationChange: allowConfigChange, metrics: launcher.metrics, logger: logger)
        try await launcher.start(dashboard, journal: c.journal, logger: logger, status: { coordinator.status })
        if c.evaluator.kind == .external, let command = c.trainerCommand {
            logger.notice("evaluator.command '\(command)' is not sent to workers: start each with --trainer-command")
        }
        // Unbuffered, so that scripts and tests reading our output see it at once.
        FileHandle.standardOutput.write(Data("coordinator listening on \(server.endpoint)\n".utf8))
        let box = StatusBox()
        try await launcher.serving {
            try await runGracefully(logger, body: { box.set(try await coordinator.runOnThread()) }, onStop: { coordinator.stop() })
        }
        try finish(box.get(), journal: c.journal)
    }
}

final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: CoordinatorStatus?
    private var reason: String?
    func set(_ v: CoordinatorStatus) { lock.withLock { value = v } }
    func get() -> CoordinatorStatus? { lock.withLock { value } }
    var done: Bool { lock.withLock { value != nil } }
    func fail(_ message: String) { lock.withLock { reason = message } }
    var failure: String? { lock.withLock { reason } }
}

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
        var profiles = [String: String]()
        for entry in trainerProfiles {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex, entry.index(after: equals) != entry.endIndex else {
                throw ValidationError("--trainer wants NAME=COMMAND, got '\(entry)'")
            }
            let name = String(entry[..<equals])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--trainer profile name '\(name)' must be letters, digits, '-', '_' or '.'")
            }
            guard profiles.updateValue(String(entry[entry.index(after: equals)...]), forKey: name) == nil else {
                throw ValidationError("--trainer names the profile '\(name)' twice")
            }
        }
        if trainerCommand != nil, profiles["default"] != nil {
            throw ValidationError("--trainer-command is the 'default' profile: drop --trainer default=…")
        }
        return profiles
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
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
                                         trainerSpaces: Self.list(trainerSpaces), trainerDatasets: Self.list(trainerDatasets),
                                         workDirectory: workDir)
        logger.info("offers \(evaluators.capabilities.map(\.summary).joined(separator: ", "))")
        // Reports of external-trainer jobs wait for their acknowledgement in their job folders too: a worker
        // restarted with the same --work-dir sends them again.
        let worker = Worker(configuration: configuration, transport: transport, evaluators: evaluators,
                            reportStore: ReportStore(workDirectory: evaluators.workDirectory), logger: logger)
        try await runGracefully(logger, body: {
            let reason = try await worker.run()
            logger.info("worker finished: \(reason)")
        }, onStop: { worker.drain(reason: "signal") })
    }
}

/// `anasod status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a study's progress: live from its coordinator, else from its journal.",
        discussion: """
        A coordinator with a dashboard records its address beside the journal (JOURNAL.dashboard); status asks \
        it for the live state (workers, jobs in flight and their epochs) and falls back to the journal when \
        there is none or it does not answer.
        """)
    @Option(help: "The study's SQLite journal.") var journal: String
    @Option(help: "The dashboard to ask (its address as the coordinator printed it; default: the one recorded beside the journal).")
    var dashboard: String?
    @Flag(help: "Refresh every --interval seconds (in place on a terminal) until the study finishes or Ctrl-C.") var watch = false
    @Option(help: "Seconds between refreshes with --watch.") var interval: Double = 2

    func validate() throws {
        guard interval >= 0.2 else { throw ValidationError("--interval must be at least 0.2 s") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: journal) else { throw ValidationError("journal '\(journal)' does not exist") }
        let terminal = isatty(STDOUT_FILENO) == 1
        while true {
            let (lines, finished) = try await snapshot()
            if watch && terminal { print("\u{1B}[H\u{1B}[2J", terminator: "") }  // redraw in place
            print(lines.joined(separator: "\n"))
            if !watch || finished { return }
            if !terminal { print("") }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// The live state when a dashboard answers, else the journal's; and whether the study is over.
    func snapshot() async throws -> (lines: [String], finished: Bool) {
        let address = dashboard ?? (try? String(contentsOfFile: DashboardLauncher.addressFile(forJournal: journal), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if let address, let state = await DashboardClient.state(at: address) {
            return (state.lines + ["(live, from the coordinator's dashboard \(address.split(separator: "?").first ?? ""))"], state.finished)
        }
        let report = try StudyReport(journal: try SQLiteJournal(path: journal))
        let counts = report.counts
        var lines = ["study \(report.study.id): \(counts[.done] ?? 0) done, \(counts[.running] ?? 0) running, "
                     + "\(counts[.queued] ?? 0) queued, \(counts[.failed] ?? 0) failed"]
        if let best = report.best {
            lines.append(String(format: "best validation error: %.3f (job %llu)", best.metrics!.validationError, best.job))
            lines.append("best cell: \(best.architecture)")
        }
        // Why a worker gets no jobs (its last word only), and the study-wide notes.
        var last = [String: String]()
        var order = [String]()
        for note in report.notes {
            if last.updateValue(note.message, forKey: note.worker) == nil { order.append(note.worker) }
        }
        for worker in order {
            lines.append(worker == "*" ? "note: \(last[worker]!)" : "worker \(worker): \(last[worker]!)")
        }
        if address != nil { lines.append("(from the journal: the dashboard recorded beside it did not answer)") }
        // Nothing in flight: the study finished or its coordinator is gone; either way nothing will change.
        return (lines, (counts[.running] ?? 0) == 0 && (counts[.queued] ?? 0) == 0)
    }
}

/// `anasod export`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a study's results as CSV or JSON.")
    @Option(help: "The study's SQLite journal.") var journal: String
    @Option(help: "csv or json.") var format = "csv"
    @Option(help: "Output file (default: standard output).") var output: String?

    func run() throws {
        guard ["csv", "json"].contains(format) else { throw ValidationError("--format must be csv or json") }
        guard FileManager.default.fileExists(atPath: journal) else { throw ValidationError("journal '\(journal)' does not exist") }
        let report = try StudyReport(journal: try SQLiteJournal(path: journal))
        let text = format == "csv" ? report.csv() : try report.json() + "\n"
        if let output {
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(output)': \(error.localizedDescription)")
            }
        } else {
            print(text, terminator: "")
        }
    }
}
