import ArgumentParser
import Cluster
import Dashboard
import Foundation
import Logging
import Wire

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
        let dashboardService = DashboardService(study: c.study)
        let journal = try Coordinator.openJournal(c.journal)
        // Closed at the end, so that no `-wal` or `-shm` file is left beside it.
        defer {
            do { try journal.close() } catch { logger.warning("\(error)") }
        }
        let coordinator = try Coordinator(configuration: c, journal: journal, transport: server,
                                          resume: resume, continueAfterFailures: continueAfterFailures,
                                          allowConfigurationChange: allowConfigChange, metrics: dashboardService.metrics,
                                          logger: logger)
        try await dashboardService.start(dashboard, journal: c.journal, logger: logger, status: { coordinator.status })
        if c.evaluator.kind == .external, let command = c.trainerCommand {
            logger.notice("evaluator.command '\(command)' is not sent to workers: start each with --trainer-command")
        }
        // Unbuffered, so that scripts and tests reading our output see it at once.
        FileHandle.standardOutput.write(Data("coordinator listening on \(server.endpoint)\n".utf8))
        // The dashboard outlives the coordinator (the group shuts down in reverse).
        try await runServices([dashboardService, CoordinatorService(coordinator)], logger: logger)
        try finish(coordinator.status, journal: c.journal)
    }
}
