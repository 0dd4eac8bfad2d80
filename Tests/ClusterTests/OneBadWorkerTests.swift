import ANASOD
@testable import Cluster
import CZeroMQ
import Foundation
import Journal
import Logging
import TestSupport
import Testing
import Wire

/// Issue 25's cases over real ZeroMQ tcp on loopback, CURVE on, with a coordinator and honest workers (each
/// with its own admitted key) and a peer holding another admitted key (`node-b`) that squats, claims,
/// fails every job first in line, hoards, floods; and a key folder that vanishes for 2 s. After each case
/// the study ends with exactly its budget of results, every result from the key its lease was given to,
/// the attacker's key named in the refusal and quarantine counters, and honest workers never evicted.
@Suite(.serialized) struct OneBadWorkerTests {
    /// A study with its own keys folder, coordinator and journal.
    final class Study: @unchecked Sendable {
        let folder: String
        let coordinatorKeys: CurveKeyPair
        var keys = [String: CurveKeyPair]()
        let allowed: CurveAllowList
        let configuration: StudyConfiguration
        var server: ZeroMQServer!
        var journal: SQLiteJournal!
        /// The coordinator and the honest workers; a restart makes a new one on the same journal file.
        var cluster: InProcessCluster!
        var coordinator: Coordinator { cluster.coordinator }

        init(budget: Int = 24, keyNames: [String] = ["node-a", "node-b", "node-c"], seconds: Double = 0.05,
             configure: (inout StudyConfiguration) -> Void = { _ in }) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder + "/keys/workers", withIntermediateDirectories: true)
            coordinatorKeys = try CurveKeyPair.generate()
            for name in keyNames {
                let pair = try CurveKeyPair.generate()
                keys[name] = pair
                try CurveCertificate.writePublic(pair, path: folder + "/keys/workers/\(name).key", name: name)
            }
            allowed = CurveAllowList(KeyFolder.workerKeys(folder + "/keys").keys)
            var c = StudyConfiguration(study: "bad-worker")
            c.budget = budget
            c.strategy = .init(.rs)
            c.evaluator.kind = .synthetic
            c.evaluator.seconds = seconds
            c.heartbeatInterval = 0.2
            c.workerTimeout = 2
            c.maxLeasesPerWorker = 4
            c.journal = folder + "/journal.sqlite"
            configure(&c)
            configuration = c
        }

        func start(resume: Bool = false) throws {
            server = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .curve(coordinatorKeys, allowed: allowed))
            journal = try SQLiteJournal(path: configuration.journal, exclusive: true)
            cluster = try InProcessCluster(configuration: configuration, journal: journal, transport: server,
                                           resume: resume, logger: Logger(label: "coordinator"))
            cluster.start()
        }

        func curve(_ key: String) -> (own: CurveKeyPair, server: String) { (keys[key]!, coordinatorKeys.publicKey) }

        /// An honest worker with its own key.
        func addHonest(_ id: String, key: String, slots: Int = 1) throws {
            let security = ClientSecurity.curve(keys[key]!, coordinator: coordinatorKeys.publicKey)
            cluster.addWorker(id: id, slots: slots,
                              transport: try ZeroMQClient(connect: server.endpoint, identity: id, security: security))
        }

        /// Waits for the study's end, drains the honest workers and returns the final status.
        func finish(timeout: Double = 90) async throws -> CoordinatorStatus {
            try await cluster.finish(timeout: timeout)
        }

        /// Every result's lease, with the key it was dispatched to.
        func resultKeys() throws -> [(job: UInt64, key: String?)] {
            let records = try journal.records()
            var keys = [JobKey: String?]()
            for case .dispatched(let job, let attempt, _, let key, _) in records { keys[JobKey(jobID: job, attempt: attempt)] = key }
            return records.compactMap { record in
                if case .result(let job, let attempt, _, _, _) = record { (job, keys[JobKey(jobID: job, attempt: attempt)] ?? nil) } else { nil }
            }
        }

        /// `claimant` claims `held` as honest1 and reports them perfect; then an honest worker finishes the study.
        func forgeThenFinish(_ claimant: RawPeer, held: [JobKey], sourceLocation: SourceLocation = #_sourceLocation) async throws
            -> CoordinatorStatus {
            claimant.send(.hello(Hello(workerID: "honest1", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)], software: "t",
                                       heldJobs: held)))
            _ = claimant.receive(timeout: 5)
            for key in held { claimant.send(.result(JobResult(key: key, validationError: 0, trainSeconds: 0))) }
            // Its claims and its forged results handled (each refused and counted against its key):
            let handled = 2 * held.count
            let forged = try await coordinator.status(where: { ($0.keyRefusals["node-b"] ?? 0) >= handled }, timeout: 30)
            #expect(forged.successes == 0, sourceLocation: sourceLocation)
            try addHonest("honest2", key: "node-c", slots: 2)
            let status = try await finish()
            try checkEnd(status, sourceLocation: sourceLocation)
            return status
        }

        /// What every case checks at the end.
        func checkEnd(_ status: CoordinatorStatus, honestKeys: Set<String> = ["node-a", "node-c"],
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(status.successes == configuration.budget, sourceLocation: sourceLocation)
            #expect(status.abortReason == nil, "\(status.abortReason ?? "")", sourceLocation: sourceLocation)
            let results = try resultKeys()
            #expect(results.count == configuration.budget, sourceLocation: sourceLocation)
            #expect(Set(results.map(\.job)).count == configuration.budget, sourceLocation: sourceLocation)
            #expect(results.allSatisfy { $0.key.map(honestKeys.contains) ?? false }, "\(results)", sourceLocation: sourceLocation)
            for key in honestKeys { #expect(status.keyRefusals[key] == nil, "\(key): \(status.keyRefusals)", sourceLocation: sourceLocation) }
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func aSquatterUnderAKilledWorkersIDCannotReportItsLeases() async throws {
        let study = try Study()
        try study.start()
        // honest1 takes two leases and dies (its socket closed at once, nothing sent).
        var victim: RawPeer? = try RawPeer(study.server.endpoint, identity: "honest1", curve: study.curve("node-a"))
        victim!.send(.hello(Hello(workerID: "honest1", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)], software: "t")))
        #expect(victim!.receive(timeout: 5).map { if case .welcome = $0 { true } else { false } } == true)
        victim!.send(.request(JobRequest(slots: 2)))
        var held = [JobKey]()
        while held.count < 2, let message = victim!.receive(timeout: 5) {
            if case .job(let job) = message { held.append(job.key) }
        }
        #expect(held.count == 2)
        victim!.close()
        victim = nil
        // Another admitted key takes its routing id: its first message ends the dead worker's leases.
        let squatter = try RawPeer(study.server.endpoint, identity: "honest1", curve: study.curve("node-b"), reconnect: false)
        squatter.send(.hello(Hello(workerID: "honest1", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)], software: "t",
                                   heldJobs: held)), blocking: false)
        // Under its own routing id it claims the leases and reports them perfect: refused, counted against its key.
        let claimant = try RawPeer(study.server.endpoint, identity: "claimant", curve: study.curve("node-b"))
        let status = try await study.forgeThenFinish(claimant, held: held)
        #expect(status.refusals.takenIdentities >= 1)
        #expect(status.refusals.refusedAdoptions >= 2)
        #expect((status.keyRefusals["node-b"] ?? 0) >= 4)
        #expect(try study.resultKeys().allSatisfy { $0.key != "node-b" })
    }

    @Test func afterACoordinatorRestartOnlyTheLeasesKeyMayClaimThem() async throws {
        let study = try Study()
        try study.start()
        let victim = try RawPeer(study.server.endpoint, identity: "honest1", curve: study.curve("node-a"))
        victim.send(.hello(Hello(workerID: "honest1", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)], software: "t")))
        _ = victim.receive(timeout: 5)
        victim.send(.request(JobRequest(slots: 2)))
        var held = [JobKey]()
        while held.count < 2, let message = victim.receive(timeout: 5) {
            if case .job(let job) = message { held.append(job.key) }
        }
        #expect(held.count == 2)
        study.coordinator.stop()
        _ = try await study.cluster.finish()
        victim.close()
        study.journal = nil
        study.cluster = nil
        // The coordinator comes back; the attacker is first to claim the in-flight leases under the worker's id.
        try study.start(resume: true)
        let claimant = try RawPeer(study.server.endpoint, identity: "honest1", curve: study.curve("node-b"))
        let status = try await study.forgeThenFinish(claimant, held: held)
        #expect(status.refusals.refusedAdoptions >= 2)
        #expect((status.keyRefusals["node-b"] ?? 0) >= 4)
    }

    /// The black hole: 4,096 slots, a routing id first in byte order, every job failed at once.
    @Test(arguments: [[FailureClass.architecture, .transient, .resource], [.configuration], [.data]])
    func aBlackHoleFirstInLineSinksNothing(classes: [FailureClass]) async throws {
        let study = try Study(seconds: 0.1)
        try study.start()
        let hole = try RawPeer(study.server.endpoint, identity: "\u{01}hole", curve: study.curve("node-b"))
        hole.send(.hello(Hello(workerID: "hole", host: "h", slots: 4096, evaluators: [Capability(kind: .synthetic)], software: "t")))
        let failed = FailedCount()
        let attack = Task.detached {
            var index = 0
            while !Task.isCancelled {
                guard let message = hole.receive(timeout: 0.2) else {
                    hole.send(.heartbeat(Heartbeat(sent: 0)))
                    continue
                }
                switch message {
                case .welcome: hole.send(.request(JobRequest(slots: 4096)))
                case .job(let job):
                    hole.send(.failure(JobFailure(key: job.key, reason: "black hole", class: classes[index % classes.count])))
                    hole.send(.request(JobRequest(slots: 1)))
                    index += 1
                    failed.add()
                case .shutdown: return
                default: continue
                }
            }
        }
        // The hole is first in line: it has failed what a lone key may fail before it rests, or been excluded.
        _ = try await study.coordinator.status(where: { s in
            (s.failuresByKey["node-b"] ?? 0) >= CoordinatorState.quarantineMinFailures || s.workerList.contains { $0.state.hasPrefix("excluded") }
        }, timeout: 30)
        try study.addHonest("honest1", key: "node-a")
        try study.addHonest("honest2", key: "node-c")
        let status = try await study.finish()
        attack.cancel()
        _ = await attack.value
        try study.checkEnd(status)
        #expect(status.failed == 0)
        if classes.contains(.configuration) || classes.contains(.data) {
            // Its first such failure takes it out of dispatch; the study goes on with the others.
            #expect(failed.value <= 4, "the black hole failed \(failed.value) jobs")
        } else {
            #expect(status.refusals.quarantinedWorkers >= 1)
            #expect(status.quarantined["node-b"] != nil || status.refusals.quarantinedWorkers >= 1)
            #expect(failed.value <= 12, "the black hole failed \(failed.value) jobs before its quarantine")
        }
        print("black hole \(classes.map(\.rawValue)): failed \(failed.value) job(s); quarantined \(status.refusals.quarantinedWorkers) time(s)")
    }

    @Test func aHoarderHoldsAtMostTheStudysLimitAndItsLeasesComeBack() async throws {
        let study = try Study(budget: 30, seconds: 0.05)
        try study.start()
        let hoarder = try RawPeer(study.server.endpoint, identity: "hoarder", curve: study.curve("node-b"))
        hoarder.send(.hello(Hello(workerID: "hoarder", host: "h", slots: 4096, evaluators: [Capability(kind: .synthetic)], software: "t")))
        let keep = Task.detached {
            while !Task.isCancelled {
                if case .welcome? = hoarder.receive(timeout: 0.2) { hoarder.send(.request(JobRequest(slots: 4096))) }
                hoarder.send(.heartbeat(Heartbeat(sent: 0)))  // alive, never finishing anything
            }
        }
        _ = try await study.coordinator.status(where: { $0.running >= 1 }, timeout: 30)  // the hoarder holds leases first
        try study.addHonest("honest1", key: "node-a")
        try study.addHonest("honest2", key: "node-c")
        let status = try await study.finish()
        keep.cancel()
        _ = await keep.value
        try study.checkEnd(status)
        let records = try study.journal.records()
        let hoarded = records.filter { if case .dispatched(_, _, _, "node-b", _) = $0 { true } else { false } }.count
        #expect(hoarded >= 1 && hoarded <= 8, "\(hoarded) leases given to the hoarder")
    }

    @Test func aFloodOfLongHeartbeatsLeavesTheCoordinatorResponsive() async throws {
        let study = try Study(budget: 30)
        try study.start()
        let flooder = try RawPeer(study.server.endpoint, identity: "flooder", curve: study.curve("node-b"))
        flooder.send(.hello(Hello(workerID: "flooder", host: "h", slots: 1, evaluators: [Capability(kind: .synthetic)], software: "t")))
        _ = flooder.receive(timeout: 5)
        try study.addHonest("honest1", key: "node-a")
        // 300 heartbeats of 65,536 pairs (about 56 MiB), sent as fast as the socket takes them.
        let frame = WireMessage.heartbeat(Heartbeat(sent: 0, running: (1...65_536).map { JobKey(jobID: UInt64($0), attempt: 1) })).encoded()
        let flood = Task.detached { for _ in 0..<300 { flooder.send(frame) } }
        // A new honest worker says hello during the flood: welcomed promptly.
        let started = Date()
        let newcomer = try RawPeer(study.server.endpoint, identity: "newcomer", curve: study.curve("node-c"))
        newcomer.send(.hello(Hello(workerID: "newcomer", host: "h", slots: 1, evaluators: [Capability(kind: .synthetic)], software: "t")))
        var welcomed = false
        while !welcomed, Date().timeIntervalSince(started) < 10, let message = newcomer.receive(timeout: 10) {
            if case .welcome = message { welcomed = true }
        }
        let welcomeSeconds = Date().timeIntervalSince(started)
        newcomer.close()
        _ = await flood.value
        let status = try await study.finish()
        try study.checkEnd(status)
        #expect(welcomed && welcomeSeconds < 2, "welcomed after \(welcomeSeconds) s under the flood")
        #expect((status.keyRefusals["node-b"] ?? 0) >= 10)
        print("flood: a new worker welcomed after \(String(format: "%.3f", welcomeSeconds)) s; node-b refused \(status.keyRefusals["node-b"] ?? 0) message(s)")
    }

    @Test func aKeyFolderThatVanishesForTwoSecondsEvictsNobody() async throws {
        let study = try Study(budget: 40, seconds: 0.1)
        try study.start()
        let watcher = KeyWatcher(directory: study.folder + "/keys", allowed: study.allowed, logger: Logger(label: "keys"), interval: 0.1)
        defer { watcher.stop() }
        try study.addHonest("honest1", key: "node-a")
        try study.addHonest("honest2", key: "node-c")
        _ = try await study.coordinator.status(where: { $0.successes >= 1 }, timeout: 30)  // the workers are at work
        let workers = study.folder + "/keys/workers"
        try FileManager.default.moveItem(atPath: workers, toPath: workers + ".away")
        // Timing under test: the folder stays away for two seconds (twenty of the watcher's looks), then comes back.
        try await Task.sleep(nanoseconds: 2_000_000_000)
        #expect(study.allowed.snapshot.count == 3)  // kept while the folder could not be read
        try FileManager.default.moveItem(atPath: workers + ".away", toPath: workers)
        let status = try await study.finish()
        try study.checkEnd(status)
        #expect(status.refusals.evictedWorkers == 0)
        #expect(status.refusals.revokedKeys == 0)
    }
}

/// A counter shared with a detached task.
final class FailedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

extension RawPeer {
    /// The next message from the coordinator, or nil after `timeout` seconds.
    func receive(timeout: Double) -> WireMessage? {
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        guard zmq_poll(&item, 1, Int(timeout * 1000)) > 0 else { return nil }
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        guard zmq_msg_recv(&message, socket, ZMQ_DONTWAIT) >= 0 else { return nil }
        let bytes = Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message)))
        return try? WireMessage.decode(bytes)
    }
}
