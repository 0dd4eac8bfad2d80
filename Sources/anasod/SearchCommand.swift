import ArgumentParser
import Cluster
import Dashboard
import Foundation
import Logging
import ServiceLifecycle
import Wire

/// `anasod search`: the whole cluster on one machine — a coordinator in this process and W worker
/// processes, cleaned up at the end (also on Ctrl-C).
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Run a study locally: a coordinator and W worker processes.")
    @OptionGroup var study: StudyOverrides
    @Option(help: "Worker processes to start (default 2; 1 with --gpus).") var workers: Int?
    @Option(help: "GPU slots for the (single) worker: a list (0,1) or 'auto' (nvidia-smi -L).") var gpus: String?
    @Option(help: "Command that runs external trainers on the local workers (default: the study's evaluator.command).") var trainerCommand: String?
    @Option(help: "Slots (parallel jobs) per worker.") var slotsPerWorker = 1
    @Flag(help: "Continue the study in the journal.") var resume = false
    @Flag(help: "With --resume: go on with a study that stopped because its jobs kept failing.")
    var continueAfterFailures = false
    @Flag(help: "With --resume: accept a configuration that differs from the journal's (the change is journaled).")
    var allowConfigChange = false
    @Option(name: .customLong("nb201-dir"), help: "Folder of the NB201 CSV files, passed to the workers.") var nb201Dir: String?
    @Option(help: "Log level of the coordinator.") var logLevel = "info"
    @Option(help: "Log level of the workers.") var workerLogLevel = "warning"
    @Flag(help: "No progress bar on a terminal: summary log lines instead.") var noProgressBar = false
    @Option(help: "Seconds between summary log lines when standard error is not a terminal (or with --no-progress-bar).")
    var summaryInterval: Double = 15
    @Option(help: "The live dashboard and /metrics: HOST:PORT (port 0: any free one), or off. Beyond loopback it needs the token it prints.")
    var dashboard = "127.0.0.1:0"

    func validate() throws {
        guard (1...256).contains(workerCount) else { throw ValidationError("--workers must be in 1...256") }
        if gpus != nil && workerCount != 1 { throw ValidationError("--gpus drives every GPU from one worker: use --workers 1") }
        guard (1...256).contains(slotsPerWorker) else { throw ValidationError("--slots-per-worker must be in 1...256") }
    }

    var workerCount: Int { workers ?? (gpus == nil ? 2 : 1) }

    func run() async throws {
        let workers = workerCount
        LogSetup.bootstrap(logLevel)
        CoordinatorProcess.prepare()
        var c = try study.load()
        if study.listen == nil { c.listen = "tcp://127.0.0.1:0" }  // any free port on loopback
        let logger = Logger(label: "search")
        // Everything that cannot work stops here, before a port, a key or a journal exists.
        let command = trainerCommand ?? c.trainerCommand
        let local = LocalWorkers(nb201Directory: nb201Dir, trainerCommand: command, gpus: gpus)
        let preflight = try await Preflight.check(c, local: local)
        for skipped in preflight.skipped { logger.notice("pre-flight: \(skipped)") }
        // One command, still encrypted: a key set of its own in the run's folder (kept for a resume).
        let names = (0..<workers).map { "local-\($0)" }
        var keyFolder: String?
        if c.security == .curve {
            let folder = c.keys ?? ((c.journal as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("\(c.study).keys")
            try KeyFolder.makeLocalSet(folder, workers: names)
            keyFolder = folder
        }
        let (security, keyWatcher) = try ClusterSecurity.server(for: c, keys: keyFolder, logger: logger)
        defer { keyWatcher?.stop() }
        let server = try ZeroMQServer(bind: c.listen, security: security)
        let dashboard = DashboardService(study: c.study)
        let journal = try Coordinator.openJournal(c.journal)
        // Closed at the end, so that no `-wal` or `-shm` file is left beside it.
        defer {
            do { try journal.close() } catch { logger.warning("\(error)") }
        }
        let coordinator = try Coordinator(configuration: c, journal: journal, transport: server,
                                          resume: resume, continueAfterFailures: continueAfterFailures,
                                          allowConfigurationChange: allowConfigChange, endWhenNoWorkerCanRun: true,
                                          metrics: dashboard.metrics, logger: logger)
        try await dashboard.start(self.dashboard, journal: c.journal, logger: logger, status: { coordinator.status })
        let arguments = names.map { name in
            var arguments = ["worker", "--connect", server.endpoint, "--slots", String(slotsPerWorker),
                             "--id", name, "--log-level", workerLogLevel]
            if let keyFolder {
                arguments += ["--key", (keyFolder as NSString).appendingPathComponent("local/\(name).key_secret"),
                              "--coordinator-key", (keyFolder as NSString).appendingPathComponent("coordinator.key")]
            }
            if let nb201Dir { arguments += ["--nb201-dir", nb201Dir] }
            if let gpus { arguments += ["--gpus", gpus] }
            // The study's evaluator.command runs only on this machine's own workers: it never goes on the wire.
            if let command { arguments += ["--trainer-command", command] }
            return arguments
        }
        // A terminal gets a progress bar and log lines for events only (the workers' log lines too, above the
        // bar); a pipe (CI, Slurm logs) a summary line every 15 s besides the events.
        let bar = ProgressBar.isTerminal && !noProgressBar
        coordinator.progressInterval = bar ? .infinity : summaryInterval
        let pool = LocalWorkerPool(
            executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path, workers: arguments,
            logger: logger, errorOutput: { _ in bar ? try ProgressBar.forwarding() : nil },
            // Local workers that all die (a missing table, a crash) end the search with an error, not a hang;
            // workers the coordinator shut down leave as its study ends. The status wait throws when the study
            // has not finished within 1 s, or when the coordinator's loop ended first (the coordinator service
            // then ends the group with its own error): "not ended" here either way.
            studyEnded: { (try? await coordinator.status(where: { $0.finished }, timeout: 1)) != nil })
        // Shut down in reverse: the coordinator stops and commits, the bar draws its last state, the workers
        // exit (or are terminated), the dashboard goes last.
        var services: [any Service] = [dashboard, pool]
        if bar { services.append(ProgressBarService(status: { coordinator.status })) }
        services.append(CoordinatorService(coordinator))
        do {
            try await runServices(services, logger: logger)
        } catch {
            if coordinator.status.finished { printSummary(coordinator.status, journal: c.journal) }
            throw error
        }
        try finish(coordinator.status, journal: c.journal)
    }
}
