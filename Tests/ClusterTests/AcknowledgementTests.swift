import ANASOD
@testable import Cluster
import Foundation
import Journal
import Logging
import TestSupport
import Testing
@testable import Wire

/// Protocol version 2's acknowledgements: a result is acknowledged only once committed, a worker keeps
/// what is not acknowledged and sends it again after a reconnect, and nothing it sent is trained again.
@Suite struct AcknowledgementTests {
    static let architecture = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"

    func job(_ id: UInt64) -> Job {
        Job(key: JobKey(jobID: id, attempt: 1), studyID: "acks", space: "nb201", encoding: [[0, 0, 0.5, 0.5, 0]],
            architecture: Self.architecture, evaluation: { var e = EvaluationSettings(kind: .synthetic); e.seconds = 0.05; return e }(), seed: 1, timeout: 60)
    }

    /// The test plays a coordinator that takes a result and then falls silent, as one killed before it
    /// committed would: the worker re-announces the finished job, sends its result again once welcomed,
    /// forgets it on the ack, and ran the job once.
    @Test func anUnacknowledgedResultIsSentAgainAfterAReconnectNotRetrained() async throws {
        let server = InMemoryServer()
        let inbox = Inbox<ServerEvent>()
        server.start { inbox.append($0) }
        let clock = ManualClock()
        let worker = Worker(configuration: WorkerConfiguration(id: "w", slots: 1), transport: server.connect(identity: "w"),
                            evaluators: LocalEvaluators(), clock: clock, logger: Logger(label: "w"))
        let run = Task { try await worker.run() }
        try await offPool { try Self.playSilentCoordinator(server, inbox, worker, clock: clock) }
        _ = try await run.value
        #expect(worker.completed == 1)  // trained once
    }

    static func playSilentCoordinator(_ server: InMemoryServer, _ inbox: Inbox<ServerEvent>, _ worker: Worker,
                                      clock: ManualClock) throws {
        let peer = PeerID(Array("w".utf8))
        let welcome = WireMessage.welcome(Welcome(workerID: "w", studyID: "acks", heartbeatInterval: 0.2, software: "test"))
        #expect(inbox.next { if case .hello(let h) = $0 { h } else { nil } } != nil)
        server.send(welcome, to: peer)
        #expect(inbox.next { if case .request(let r) = $0 { r } else { nil } } != nil)
        server.send(.job(AcknowledgementTests().job(7)), to: peer)
        let first = try #require(inbox.next { if case .result(let r) = $0 { r } else { nil } })
        #expect(first.key == JobKey(jobID: 7, attempt: 1))
        // Silence: 3 s later (on the worker's clock) it says hello again, announcing the job it finished but nobody
        // acknowledged.
        clock.advance(by: 4)
        let hello = try #require(inbox.next(timeout: 30) { m -> Hello? in
            if case .hello(let h) = m, !h.heldJobs.isEmpty { h } else { nil }
        })
        #expect(hello.heldJobs == [first.key])
        server.send(welcome, to: peer)
        let again = try #require(inbox.next { if case .result(let r) = $0 { r } else { nil } })
        #expect(again == first)
        server.send(.ack(Ack(keys: [first.key])), to: peer)
        // Before or after the ack, the drain ends once nothing is left unacknowledged.
        worker.drain(reason: "test over")
    }

    /// A real coordinator acknowledges a result only after the journal holds it, and acknowledges a report
    /// sent again at once, without a second result row.
    @Test func theCoordinatorAcknowledgesCommittedResultsAndRepeats() async throws {
        var c = StudyConfiguration(study: "acks")
        c.budget = 3
        c.strategy = .init(.rs)
        c.evaluator.kind = .synthetic
        c.heartbeatInterval = 0.2
        let journal = InMemoryJournal()
        let cluster = try InProcessCluster(configuration: c, journal: journal)
        let coordinator = cluster.coordinator
        let client = cluster.server.connect(identity: "raw")
        let received = Inbox<ClientEvent>()
        client.start { received.append($0) }
        cluster.start()
        let settings = c
        try await offPool { try Self.reportTwice(client, received, journal, coordinator, settings) }
        _ = try await cluster.finish()
    }

    static func reportTwice(_ client: InMemoryClient, _ received: Inbox<ClientEvent>, _ journal: InMemoryJournal,
                            _ coordinator: Coordinator, _ c: StudyConfiguration) throws {
        defer { coordinator.stop() }
        // Hello until welcomed, as a worker does (the coordinator may not be listening yet).
        var welcomed = false
        for _ in 0..<60 where !welcomed {
            client.send(.hello(Hello(workerID: "raw", host: "h", slots: 1, evaluators: [Capability(kind: .synthetic)], software: "t")))
            welcomed = received.take(timeout: 0.5) { if case .message(.welcome) = $0 { true } else { nil } } != nil
        }
        #expect(welcomed)
        client.send(.request(JobRequest(slots: 1)))
        let job = try #require(received.take(timeout: 30) { if case .message(.job(let j)) = $0 { j } else { nil } })
        #expect(job.timeout == c.jobTimeout)
        let result = JobResult(key: job.key, validationError: 12, trainSeconds: 1)
        client.send(.result(result))
        let ack = try #require(received.take(timeout: 30) { if case .message(.ack(let a)) = $0 { a } else { nil } })
        #expect(ack.keys == [job.key])
        // By the time the ack arrives the result is in the journal.
        let rows = { try journal.records().filter { if case .result = $0 { true } else { false } }.count }
        #expect(try rows() == 1)
        client.send(.result(result))
        let repeated = try #require(received.take(timeout: 30) { if case .message(.ack(let a)) = $0 { a } else { nil } })
        #expect(repeated.keys == [job.key])
        #expect(try rows() == 1)
        #expect(coordinator.status.successes == 1)
    }
}

/// An external trainer's report waits on disk in its job folder until acknowledged: a worker restarted
/// with the same work folder sends it again, and the coordinator (restarted too) accepts it for the lease
/// it queued for re-adoption — the cell is not trained again.
@Suite struct KeptReportTests {
    @Test func aReportKeptOnDiskSurvivesTheRestartOfBothSides() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kept-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let work = folder.appendingPathComponent("work").path
        var c = StudyConfiguration(study: "kept")
        c.budget = 1
        c.strategy = .init(.rs)
        c.evaluator = EvaluationSettings(kind: .external)
        c.heartbeatInterval = 0.2
        c.workerTimeout = 5
        // What the coordinator journaled before it died: job 1 attempt 1 dispatched to worker w.
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "kept", configuration: c.journalText, created: 0))
        let space = NB201SearchSpace()
        let arch = try space.parse(AcknowledgementTests.architecture)
        try journal.append([.proposed(call: 0, jobs: [.init(job: 1, architecture: AcknowledgementTests.architecture,
                                                           encoding: space.encode(arch).parts.map(\.probabilities))]),
                            .dispatched(job: 1, attempt: 1, worker: "w", time: 1)])
        // What the worker kept before it died: the result of that attempt, never acknowledged.
        let store = ReportStore(workDirectory: work)
        let key = JobKey(jobID: 1, attempt: 1)
        try store.save(.result(JobResult(key: key, validationError: 12.5, trainSeconds: 3)), study: "kept", key: key)
        #expect(store.load(study: "kept").reports[key] != nil)
        // Both start again; a trainer that ran would leave a marker.
        let marker = folder.appendingPathComponent("trained").path
        let script = folder.appendingPathComponent("trainer.sh").path
        try "#!/bin/sh\ntouch \(marker)\necho '{\"event\": \"result\", \"validation_error\": 50}'\n".write(toFile: script, atomically: true, encoding: .utf8)
        let cluster = try InProcessCluster(configuration: c, journal: journal, resume: true)
        cluster.addWorker(id: "w", slots: 1,
                          evaluators: LocalEvaluators(trainerCommand: "/bin/sh \(script)", workDirectory: work),
                          reportStore: store)
        let status = try await cluster.finish()
        #expect(status.successes == 1)
        #expect(!FileManager.default.fileExists(atPath: marker), "the cell was trained again")
        let results = try journal.records().compactMap { if case .result(let j, let a, _, let m, _) = $0 { (j, a, m.validationError) } else { nil } }
        #expect(results.count == 1 && results[0] == (1, 1, 12.5), "\(results)")
    }

    @Test func anUnreadableKeptReportIsSetAsideNotSent() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kept-bad-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = ReportStore(workDirectory: work)
        let key = JobKey(jobID: 4, attempt: 2)
        try store.save(.result(JobResult(key: key, validationError: 1, trainSeconds: 1)), study: "s", key: key)
        // A report moved into another job's folder, and garbage: neither is sent.
        let wrong = ReportStore.jobFolder(workDirectory: work, study: "s", key: JobKey(jobID: 5, attempt: 1))
        try FileManager.default.createDirectory(atPath: wrong, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ReportStore.jobFolder(workDirectory: work, study: "s", key: key) + "/report.msgpack",
                                         toPath: wrong + "/report.msgpack")
        let garbage = ReportStore.jobFolder(workDirectory: work, study: "s", key: JobKey(jobID: 6, attempt: 1))
        try FileManager.default.createDirectory(atPath: garbage, withIntermediateDirectories: true)
        try Data([0xc1, 0x00]).write(to: URL(fileURLWithPath: garbage + "/report.msgpack"))
        let (reports, problems) = store.load(study: "s")
        #expect(Array(reports.keys) == [key])
        #expect(problems.count == 2)
        #expect(FileManager.default.fileExists(atPath: garbage + "/report.msgpack.bad"))
        store.remove(study: "s", key: key)
        #expect(store.load(study: "s").reports.isEmpty)
    }
}
