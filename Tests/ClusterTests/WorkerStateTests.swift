import ANASOD
@testable import Cluster
import Logging
import Testing
import Wire

/// The worker protocol as a pure state machine: every rule of cluster/PROTOCOL.md's worker side, driven by
/// messages and a clock, with no socket, thread or task.
@Suite struct WorkerStateTests {
    func state(slots: Int = 2, keepsReports: Bool = false, requestsOnWelcome: Bool = true) -> WorkerState {
        WorkerState(identity: .init(id: "w", host: "h", slots: slots, capabilities: [Capability(kind: .synthetic)],
                                    software: "t", keepsReports: keepsReports, requestsOnWelcome: requestsOnWelcome))
    }

    let welcome = WireMessage.welcome(Welcome(workerID: "w", studyID: "s", heartbeatInterval: 1, software: "t"))

    func job(_ id: UInt64, attempt: Int = 1, kind: EvaluationSettings.Kind = .synthetic) -> Job {
        Job(key: JobKey(jobID: id, attempt: attempt), studyID: "s", space: "nb201", encoding: [[1, 0, 0, 0, 0]],
            architecture: "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", evaluation: EvaluationSettings(kind: kind),
            seed: 1, timeout: 60)
    }

    func result(_ id: UInt64, attempt: Int = 1) -> WireMessage {
        .result(JobResult(key: JobKey(jobID: id, attempt: attempt), metrics: Metrics(validationError: 0.1)))
    }

    func sent(_ actions: [WorkerAction]) -> [WireMessage] {
        actions.compactMap { if case .send(let m) = $0 { m } else { nil } }
    }

    func hellos(_ actions: [WorkerAction]) -> [Hello] {
        sent(actions).compactMap { if case .hello(let h) = $0 { h } else { nil } }
    }

    func requests(_ actions: [WorkerAction]) -> [Int] {
        sent(actions).compactMap { if case .request(let r) = $0 { r.slots } else { nil } }
    }

    /// Hello until welcomed, with backoff 0.5, 1, 2, 4, 5, 5 s; once welcomed, one request for every free slot.
    @Test func saysHelloWithBackoffUntilWelcomedThenAsksForItsSlots() {
        var s = state(slots: 3)
        #expect(hellos(s.start(now: 0)).count == 1)
        var times = [Double]()
        for tenth in 1...250 {
            let now = Double(tenth) / 10
            if !hellos(s.tick(now: now)).isEmpty { times.append(now) }
        }
        #expect(times == [0.5, 1.5, 3.5, 7.5, 12.5, 17.5, 22.5])
        let actions = s.receive(welcome, now: 25)
        #expect(requests(actions) == [3])
        #expect(s.welcomed)
        #expect(hellos(s.tick(now: 26)).isEmpty)
    }

    /// Heartbeats every interval list the jobs running; a coordinator silent for 3 intervals (at least 3 s) is
    /// greeted again, and the hello announces the jobs still held.
    @Test func heartbeatsListRunningJobsAndSilenceBringsAHelloWithHeldJobs() {
        var s = state()
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        let start = s.receive(.job(job(7)), now: 0.1)
        #expect(start == [.start(job(7))])
        let beats = sent(s.tick(now: 0.2)).compactMap { if case .heartbeat(let h) = $0 { h } else { nil } }
        #expect(beats.map(\.running) == [[JobKey(jobID: 7, attempt: 1)]])
        #expect(sent(s.tick(now: 0.5)).isEmpty)  // within the interval
        #expect(sent(s.tick(now: 1.2)).count == 1)
        let silent = s.tick(now: 3.2)
        #expect(hellos(silent).map(\.heldJobs) == [[JobKey(jobID: 7, attempt: 1)]])
        #expect(!s.welcomed)
    }

    /// A report is kept until acknowledged: sent again after a new welcome, announced as held, and a job sent
    /// again after it finished gets the report, not the work.
    @Test func reportsAreKeptUntilAcknowledgedAndSentAgainAfterAWelcome() {
        var s = state(slots: 1)
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        _ = s.receive(.job(job(1)), now: 0)
        let ended = s.jobEnded(JobKey(jobID: 1, attempt: 1), report: result(1), now: 1)
        #expect(sent(ended) == [result(1), .request(JobRequest(slots: 1))])
        #expect(s.completed == 1)
        #expect(sent(s.receive(.job(job(1)), now: 1.1)) == [result(1)])  // the report again
        // The coordinator restarts: silence, a hello naming the report's job, a welcome, the report again.
        #expect(hellos(s.tick(now: 5)).map(\.heldJobs) == [[JobKey(jobID: 1, attempt: 1)]])
        #expect(sent(s.receive(welcome, now: 5.1)) == [result(1), .request(JobRequest(slots: 1))])
        _ = s.receive(.ack(Ack(keys: [JobKey(jobID: 1, attempt: 1)])), now: 5.2)
        #expect(s.unacknowledged.isEmpty)
        #expect(hellos(s.tick(now: 9)).map(\.heldJobs) == [[]])
    }

    /// A cancel stops the evaluation and forgets its report; the slot is asked for again once the task ends.
    @Test func aCancelStopsTheJobAndForgetsItsReport() {
        var s = state(slots: 1)
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        _ = s.receive(.job(job(3)), now: 0)
        let key = JobKey(jobID: 3, attempt: 1)
        #expect(s.receive(.cancel(JobCancel(key: key)), now: 1) == [.cancel(key)])
        #expect(requests(s.jobEnded(key, report: nil, now: 1.1)) == [1])
        #expect(s.unacknowledged.isEmpty && s.running.isEmpty)
    }

    /// A drain sends `drain`, waits for the running job and its acknowledgement, then ends; without an ack it
    /// ends `ackWait` seconds after the last job.
    @Test func aDrainEndsOnceJobsAreDoneAndAcknowledged() {
        var s = state(slots: 1)
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        _ = s.receive(.job(job(1)), now: 0)
        #expect(sent(s.drain(reason: "bye", now: 1)) == [.drain(Drain(reason: "bye"))])
        #expect(requests(s.jobEnded(JobKey(jobID: 1, attempt: 1), report: result(1), now: 2)).isEmpty)
        #expect(s.ended == nil)
        #expect(s.receive(.ack(Ack(keys: [JobKey(jobID: 1, attempt: 1)])), now: 2.5).last == .end(.finished("drained")))

        var t = state(slots: 1)
        t.ackWait = 10
        _ = t.start(now: 0)
        _ = t.receive(welcome, now: 0)
        _ = t.receive(.job(job(1)), now: 0)
        _ = t.drain(reason: "bye", now: 1)
        _ = t.jobEnded(JobKey(jobID: 1, attempt: 1), report: result(1), now: 2)
        _ = t.receive(.heartbeat(Heartbeat(sent: 0)), now: 5)
        #expect(t.tick(now: 11.9).contains(.end(.finished("drained"))) == false)
        _ = t.receive(.heartbeat(Heartbeat(sent: 0)), now: 11.95)
        #expect(t.tick(now: 12).last == .end(.finished("drained")))
    }

    /// A refusal with `retry_after` passes: hello again after it. One without ends the worker, cancelling
    /// what runs; after the end nothing more comes out.
    @Test func aPassingRefusalWaitsAndAStandingOneEnds() {
        var s = state()
        _ = s.start(now: 0)
        _ = s.receive(.refusal(Refusal(reason: "evicted", retryAfter: 30)), now: 1)
        #expect(hellos(s.tick(now: 30.9)).isEmpty)
        #expect(hellos(s.tick(now: 31)).count == 1)
        _ = s.receive(welcome, now: 31)
        _ = s.receive(.job(job(4)), now: 32)
        let ended = s.receive(.refusal(Refusal(reason: "wrong version")), now: 33)
        #expect(ended == [.cancel(JobKey(jobID: 4, attempt: 1)), .end(.refused("wrong version"))])
        #expect(s.tick(now: 40).isEmpty && s.receive(.job(job(5)), now: 40).isEmpty)
    }

    /// A job this worker cannot read is that job's `configuration` failure, reported and kept like any other.
    @Test func anUnreadableJobIsReportedAsAFailure() {
        var s = state(slots: 1)
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        let key = JobKey(jobID: 9, attempt: 2)
        let actions = s.rejected(job: key, reason: "unknown setting", now: 1)
        guard case .failure(let f)? = sent(actions).first else {
            Issue.record("no failure sent: \(actions)")
            return
        }
        #expect(f.key == key && f.failureClass == .configuration)
        #expect(requests(actions) == [1])
        #expect(s.unacknowledged[key] != nil)
    }

    /// External-trainer reports go to disk until acknowledged, and the reports a previous process kept are
    /// loaded at the first welcome, before anything is asked for, then sent again.
    @Test func keptReportsAreSavedDiscardedAndLoadedBeforeTheFirstRequest() {
        var s = state(slots: 1, keepsReports: true)
        _ = s.start(now: 0)
        let first = s.receive(welcome, now: 0)
        #expect(first.contains(.loadKept(study: "s")) && requests(first).isEmpty)
        let old = JobKey(jobID: 2, attempt: 1)
        let loaded = s.keptReportsLoaded([old: result(2)], study: "s", unreadable: ["x/report.msgpack"], now: 0)
        #expect(sent(loaded) == [result(2), .request(JobRequest(slots: 1))])
        _ = s.receive(.job(job(5, kind: .external)), now: 1)
        let key = JobKey(jobID: 5, attempt: 1)
        let ended = s.jobEnded(key, report: result(5), now: 2)
        #expect(ended.contains(.keep(result(5), study: "s", key: key)))
        #expect(s.receive(.ack(Ack(keys: [key, old])), now: 3).filter { if case .discard = $0 { true } else { false } }.count == 2)
        // A second welcome (after a silence) does not load them again.
        _ = s.tick(now: 10)
        #expect(!s.receive(welcome, now: 10).contains(.loadKept(study: "s")))
    }

    /// The simulator's members: welcomed but silent until `beginRequesting`, then the free slots at once.
    @Test func aWorkerThatWaitsAsksOnlyWhenTold() {
        var s = state(slots: 4, requestsOnWelcome: false)
        _ = s.start(now: 0)
        #expect(requests(s.receive(welcome, now: 0)).isEmpty)
        #expect(requests(s.beginRequesting()) == [4])
        #expect(s.beginRequesting().isEmpty)
    }

    /// A job sent to a worker with no room for it (a GPU worker over-sent) is handed back without asking for
    /// another slot; one the worker cannot run frees its slot.
    @Test func aJobWithoutRoomDoesNotAskForAnotherSlot() {
        var s = state(slots: 1)
        _ = s.start(now: 0)
        _ = s.receive(welcome, now: 0)
        _ = s.receive(.job(job(1)), now: 0)
        let noRoom = s.jobEnded(JobKey(jobID: 1, attempt: 1),
                                report: .failure(JobFailure(key: JobKey(jobID: 1, attempt: 1), reason: "no free GPU", class: .transient)),
                                now: 0, freesSlot: false)
        #expect(requests(noRoom).isEmpty && sent(noRoom).count == 1)
    }
}

/// The worker's runtime around the state machine.
@Suite struct WorkerRuntimeTests {
    /// A drain that comes before `run()` (a SIGTERM as the service group starts) ends the run at once.
    @Test func aWorkerDrainedBeforeItRunsEndsAtOnce() async throws {
        let server = InMemoryServer()
        server.start { _ in }
        let worker = Worker(configuration: WorkerConfiguration(id: "w", slots: 1), transport: server.connect(identity: "w"),
                            evaluators: LocalEvaluators(), logger: Logger(label: "w"))
        worker.drain(reason: "early")
        #expect(try await worker.run() == "drained")
    }
}
