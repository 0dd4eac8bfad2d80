@testable import Cluster
import Foundation
import Journal
import Logging
import Search
import Testing
import Wire

/// The load generator against a real coordinator over ZeroMQ with CURVE: every simulated worker is let in
/// with its own key, speaks the protocol, and the study ends with its budget — the short form of
/// `anasod bench cluster --simulated-workers` (whose long form is a benchmark, not a test).
@Suite(.serialized) struct WorkerSimulatorTests {
    func study(_ name: String, budget: Int, strategy: StrategyName, directory: String) -> StudyConfiguration {
        var c = StudyConfiguration(study: name, journal: "\(directory)/\(name).sqlite")
        c.strategy = StrategyChoice(strategy)
        c.budget = budget
        c.evaluator.kind = .synthetic
        c.listen = "tcp://127.0.0.1:0"
        c.heartbeatInterval = 0.2
        c.workerTimeout = 30
        return c
    }

    func run(workers: Int, budget: Int, strategy: StrategyName, evaluationSeconds: Double) async throws
        -> (status: CoordinatorStatus, report: WorkerSimulator.Report, records: [JournalRecord]) {
        let directory = NSTemporaryDirectory() + "anasod-simulator-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let c = study("sim", budget: budget, strategy: strategy, directory: directory)
        let names = (0..<workers).map { "sim-\($0)" }
        let keys = "\(directory)/keys"
        try KeyFolder.makeLocalSet(keys, workers: names)
        let logger = Logger(label: "test")
        let (security, watcher) = try ClusterSecurity.server(for: c, keys: keys, logger: logger)
        defer { watcher?.stop() }
        let server = try ZeroMQServer(bind: c.listen, security: security)
        let journal = try SQLiteJournal(path: c.journal)
        let coordinator = try Coordinator(configuration: c, journal: journal, transport: server, resume: false, logger: logger)
        let coordinatorKey = try CurveCertificate.read("\(keys)/coordinator.key").publicKey
        var settings = WorkerSimulator.Settings(
            endpoint: server.endpoint, identities: names,
            security: try names.map { .curve(try CurveCertificate.read("\(keys)/local/\($0).key_secret", requireSecret: true),
                                             coordinator: coordinatorKey) })
        settings.idleSeconds = 0.7
        settings.connectTimeout = 20
        settings.loadTimeout = 60
        settings.evaluationSeconds = evaluationSeconds
        let frozen = settings
        let simulated = Task.detached { try WorkerSimulator(settings: frozen).run() }
        let status = try await coordinator.runOnThread()
        let report = try await simulated.value
        return (status, report, try journal.records())
    }

    @Test func everySimulatedWorkerIsLetInAndTheStudyEndsWithItsBudget() async throws {
        let (status, report, records) = try await run(workers: 40, budget: 400, strategy: .anasodBO, evaluationSeconds: 0)
        #expect(status.successes == 400)
        #expect(report.welcomed == 40)
        #expect(report.refusals.isEmpty)
        #expect(report.shutDown == 40)
        // Each result the simulator sent was taken once and acknowledged after its commit.
        #expect(report.results >= 400)
        #expect(report.acknowledged >= 400)
        let results = records.compactMap { r -> UInt64? in if case .result(let j, _, _, _, _) = r { j } else { nil } }
        #expect(results.count == 400 && Set(results).count == 400)
        // The coordinator's heartbeats reached the idle workers (0.2 s apart for 0.7 s), and results came back
        // with next jobs.
        #expect(report.idleHeartbeatDelayMs.count >= 40)
        #expect(report.resultToNextJobMs.count >= 300)
        #expect(report.undecodable == 0)
        // Workers sent the synthetic evaluator's errors: the best is that of a real cell.
        #expect(status.best.map { $0.value > 5 && $0.value < 95 } == true)
    }

    @Test func pacedEvaluationsTakeTheirTime() async throws {
        // 20 workers, 50 ms per evaluation on average: about 400 results per second offered, 200 results.
        let (status, report, _) = try await run(workers: 20, budget: 200, strategy: .rs, evaluationSeconds: 0.05)
        #expect(status.successes == 200)
        #expect(report.welcomed == 20)
        // 10 rounds of at least 25 ms each: the load cannot have finished in under a quarter of a second.
        #expect(report.loadSeconds > 0.25)
    }
}
