import ANASOD
@testable import Cluster
import Journal
import Search
import Testing
import Wire

@Suite struct CoordinatorStateTests {
    let space = NB201SearchSpace()
    let peer = PeerID(Array("w1".utf8))
    let other = PeerID(Array("w2".utf8))

    func state(budget: Int = 5, maxAttempts: Int = 2) -> CoordinatorState {
        var c = StudyConfiguration(study: "t")
        c.budget = budget
        c.maxAttempts = maxAttempts
        c.jobTimeout = 10
        c.workerTimeout = 3
        c.heartbeatInterval = 1
        c.evaluator.kind = .synthetic
        return CoordinatorState(configuration: c, space: space)
    }

    func hello(_ id: String, slots: Int = 2, held: [JobKey] = []) -> WireMessage {
        .hello(Hello(workerID: id, host: "h", slots: slots, evaluators: [Capability(kind: .synthetic)], software: "t", heldJobs: held))
    }

    func proposals(_ n: Int, from first: UInt64 = 1) -> [(job: UInt64, proposal: Proposal)] {
        (0..<n).map { i in
            let arch = space.architecture(at: Int(first) * 37 + i)
            return (first + UInt64(i), Proposal(architecture: arch, encoding: space.encode(arch)))
        }
    }

    func sentJobs(_ actions: [CoordinatorAction]) -> [(PeerID, Job)] {
        actions.compactMap { if case .send(let p, .job(let j)) = $0 { (p, j) } else { nil } }
    }

    /// CURVE refusals are counted by kind; a welcomed worker whose key is revoked is evicted and its lease
    /// re-queued, and nothing it sends counts afterwards.
    @Test func aRevokedKeyEvictsItsWorkerAndRequeuesItsLease() {
        var s = state()
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let (_, job) = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0]
        _ = s.securityRefused(SecurityRefusal(kind: .unknownKey, key: "k", address: "a", detail: "d"), now: 1)
        _ = s.securityRefused(SecurityRefusal(kind: .failedHandshake, address: "a", detail: "d"), now: 1)
        let actions = s.securityRefused(SecurityRefusal(kind: .revokedKey, key: "k", address: "a", detail: "d", peer: peer), now: 1)
        #expect(actions.contains { if case .evicted(worker: "w1", _) = $0 { true } else { false } })
        #expect(s.queue == [job.key.jobID])
        #expect(s.refusals.unknownKeys == 1 && s.refusals.failedHandshakes == 1 && s.refusals.revokedKeys == 1)
        #expect(s.refusals.evictedWorkers == 1)
        _ = s.handle(.result(JobResult(key: job.key, validationError: 5, trainSeconds: 1)), from: peer, now: 2)
        #expect(s.successes == 0)
    }

    @Test func creditsBoundDispatchAndProposalsFollowCredit() {
        var s = state()
        _ = s.handle(hello("w1"), from: peer, now: 0)
        let actions = s.handle(.request(JobRequest(slots: 2)), from: peer, now: 0)
        guard case .propose(let count, _)? = actions.last else { Issue.record("no propose: \(actions)"); return }
        #expect(count == 2)
        let dispatched = sentJobs(s.proposalsArrived(proposals(2), now: 0))
        #expect(dispatched.count == 2)
        #expect(dispatched.allSatisfy { $0.0 == peer && $0.1.key.attempt == 1 })
        // No credit left: nothing more is sent or proposed.
        #expect(s.handle(.heartbeat(Heartbeat(sent: 0)), from: peer, now: 0.5).isEmpty)
    }

    @Test func duplicateAndLateResultsAreIdempotent() {
        var s = state()
        _ = s.handle(hello("w1"), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        let result = WireMessage.result(JobResult(key: job.key, validationError: 7, trainSeconds: 1))
        let first = s.handle(result, from: peer, now: 1)
        #expect(first.contains { if case .observe = $0 { true } else { false } })
        let again = s.handle(result, from: peer, now: 2)
        #expect(!again.contains { if case .observe = $0 { true } else { false } })
        #expect(s.successes == 1)
    }

    @Test func aTimedOutLeaseIsCancelledAndRetriedThenFailsForGood() {
        var s = state(maxAttempts: 2)
        s.endWhenNoWorkerCanRun = true  // a machine's own worker: its word counts at once (TrustTests has the rest)
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        _ = s.handle(.heartbeat(Heartbeat(sent: 10.9)), from: peer, now: 10.9)  // the worker is alive
        let timeout = s.tick(now: 11)  // past the 10 s job timeout
        #expect(timeout.contains { if case .send(_, .cancel(let c)) = $0 { c.key == job.key } else { false } })
        #expect(timeout.contains { if case .journal(.failure(_, _, _, _, _, false, _)) = $0 { true } else { false } })
        let retry = sentJobs(s.handle(.request(JobRequest(slots: 1)), from: peer, now: 11))
        #expect(retry.first?.1.key == JobKey(jobID: job.key.jobID, attempt: 2))
        let final = s.handle(.failure(JobFailure(key: JobKey(jobID: job.key.jobID, attempt: 2), reason: "boom", class: .transient)),
                             from: peer, now: 12)
        #expect(final.contains { if case .observe(_, _, _, _, .failure) = $0 { true } else { false } })
        #expect(s.failedJobs == 1)
    }

    @Test func aSilentWorkerLosesItsLeasesToAnother() {
        var s = state()
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        _ = s.handle(hello("w2", slots: 1), from: other, now: 1)
        _ = s.handle(.request(JobRequest(slots: 1)), from: other, now: 1)  // asks for a proposal: committed 1 < 5
        _ = s.proposalsArrived([], now: 1)
        _ = s.handle(.heartbeat(Heartbeat(sent: 3.5)), from: other, now: 3.5)
        let actions = s.tick(now: 3.6)  // w1 silent for 3.6 s > 3 s
        let moved = sentJobs(actions)
        #expect(moved.first?.0 == other)
        #expect(moved.first?.1.key == JobKey(jobID: job.key.jobID, attempt: 2))
        // The old attempt's late result no longer counts: only the holder of the lease may report.
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 4)
        let late = s.handle(.result(JobResult(key: job.key, validationError: 6, trainSeconds: 1)), from: peer, now: 4)
        #expect(!late.contains { if case .observe = $0 { true } else { false } })
        #expect(s.successes == 0)
        #expect(s.refusals.notLeaseHolder == 1)
        let current = JobKey(jobID: job.key.jobID, attempt: 2)
        _ = s.handle(.result(JobResult(key: current, validationError: 6, trainSeconds: 1)), from: other, now: 5)
        #expect(s.successes == 1)
    }

    @Test func lateResultsFromLeasesAWorkerReallyHeldAreDroppedButNeverEvictIt() {
        var s = state(budget: 50)
        _ = s.handle(hello("w1", slots: 12), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 12)), from: peer, now: 0)
        let jobs = sentJobs(s.proposalsArrived(proposals(12), now: 0)).map(\.1)
        #expect(jobs.count == 12)
        _ = s.tick(now: 3.5)  // silent past the 3 s worker timeout: every lease released
        _ = s.handle(hello("w1", slots: 12), from: peer, now: 4)
        for job in jobs {
            _ = s.handle(.result(JobResult(key: job.key, validationError: 5, trainSeconds: 1)), from: peer, now: 4)
        }
        #expect(s.refusals.notLeaseHolder == 12)
        #expect(s.refusals.evictedWorkers == 0)
        #expect((s.domains[peer.domain]?.strikes ?? 0) == 0)
    }

    @Test func nothingButHelloCountsFromAPeerThatWasNeverWelcomed() {
        var s = state()
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        let stranger = PeerID(Array("intruder".utf8))
        for id in UInt64(1)...300 {
            let forged = s.handle(.result(JobResult(key: JobKey(jobID: id, attempt: 1), validationError: 0, trainSeconds: 0)),
                                  from: stranger, now: 1)
            #expect(forged.isEmpty)
        }
        _ = s.handle(.failure(JobFailure(key: job.key, reason: "x", class: .architecture)), from: stranger, now: 1)
        _ = s.handle(.hello(Hello(workerID: "w9", host: "h", slots: 1, evaluators: [Capability(kind: .synthetic)], software: "t",
                                  heldJobs: [job.key])), from: stranger, now: 1)
        #expect(s.successes == 0 && s.failedJobs == 0)
        #expect(s.refusals.unwelcomed == 301)
        #expect(s.refusals.refusedAdoptions == 1)  // the held claim is refused: it was never queued for re-adoption
        #expect(s.jobs[job.key.jobID]?.lease?.peer == peer)
    }

    @Test func aWelcomedPeerCannotReportForLeasesItDoesNotHoldAndIsEvictedAfterTenTries() {
        var s = state(budget: 50)
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        _ = s.handle(hello("w2", slots: 2), from: other, now: 0)
        var actions = [CoordinatorAction]()
        for attempt in 1...10 {
            actions = s.handle(.result(JobResult(key: JobKey(jobID: job.key.jobID, attempt: attempt), validationError: 0,
                                                 trainSeconds: 0)), from: other, now: 1)
        }
        #expect(s.successes == 0)
        #expect(s.refusals.notLeaseHolder == 10)
        #expect(s.refusals.evictedWorkers == 1)
        #expect(s.workers[other] == nil)
        #expect(actions.contains { if case .send(let p, .refusal) = $0 { p == other } else { false } })
        // Evicted: even a hello no longer counts, until the cool-down the refusal names is over.
        let refusal = s.handle(hello("w2"), from: other, now: 2)
        #expect(refusal.count == 1 && s.workers[other] == nil)
        #expect(refusal.contains { if case .send(_, .refusal(let r)) = $0 { r.retryAfter != nil } else { false } })
        // The honest holder still reports.
        _ = s.handle(.result(JobResult(key: job.key, validationError: 9, trainSeconds: 1)), from: peer, now: 3)
        #expect(s.successes == 1)
    }

    @Test func aResultWithValuesOutOfRangeReleasesTheLeaseInsteadOfReachingTheStrategy() {
        var s = state()
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let job = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0].1
        let actions = s.handle(.result(JobResult(key: job.key, validationError: -1e9, trainSeconds: 1)), from: peer, now: 1)
        #expect(!actions.contains { if case .observe(_, _, _, _, .result) = $0 { true } else { false } })
        #expect(s.refusals.invalidValues == 1)
        #expect(s.jobs[job.key.jobID]?.status == .queued)
        _ = s.handle(.result(JobResult(key: job.key, validationError: 12, testError: 101, trainSeconds: 1)), from: peer, now: 1)
        #expect(s.successes == 0)
    }

    @Test func afterARestartOnlyTheJournaledAttemptIsAdoptedAndOnlyFromItsWorker() throws {
        var s = state()
        let arch = space.architecture(at: 5)
        let records: [JournalRecord] = [
            .proposed(call: 0, jobs: [.init(job: 1, architecture: space.format(arch), encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]]),
                                      .init(job: 2, architecture: space.format(space.architecture(at: 6)), encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]])]),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 0),
            .dispatched(job: 2, attempt: 1, worker: "w1", time: 0),
        ]
        _ = try s.restore(from: records, now: 100)
        // Another worker asking for work within the re-adoption window gets neither job.
        _ = s.handle(hello("w2", slots: 2), from: other, now: 100)
        #expect(sentJobs(s.handle(.request(JobRequest(slots: 2)), from: other, now: 101)).isEmpty)
        // A forged claim (wrong attempt) is refused; the right worker's claim of attempt 1 is adopted.
        let impostor = s.handle(hello("w2", slots: 2, held: [JobKey(jobID: 1, attempt: 1)]), from: other, now: 101)
        #expect(impostor.contains { if case .send(_, .cancel) = $0 { true } else { false } })
        _ = s.handle(hello("w1", slots: 2, held: [JobKey(jobID: 1, attempt: 2)]), from: peer, now: 101)
        #expect(s.jobs[1]?.status == .queued)
        _ = s.handle(hello("w1", slots: 2, held: [JobKey(jobID: 1, attempt: 1)]), from: peer, now: 102)
        #expect(s.jobs[1]?.status == .leased && s.jobs[1]?.lease?.peer == peer)
        #expect(s.refusals.refusedAdoptions == 2)
        // After the window, the job nobody re-announced goes to the next free slot as attempt 2.
        _ = s.handle(.request(JobRequest(slots: 2)), from: other, now: 102)  // a hello resets credit
        #expect(sentJobs(s.tick(now: 102.5)).isEmpty)
        let moved = sentJobs(s.tick(now: 100 + 3.5))
        #expect(moved.contains { $0.1.key == JobKey(jobID: 2, attempt: 2) })
    }

    /// One path for a result: its record, then its acknowledgement, then the strategy's observation and any
    /// shutdown the result causes; a repeat of a committed report is acknowledged at once.
    @Test func aResultIsAcknowledgedAfterItsRecordAndBeforeTheShutdown() {
        var s = state(budget: 1)
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let (_, job) = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0]
        let actions = s.handle(.result(JobResult(key: job.key, validationError: 12, trainSeconds: 1)), from: peer, now: 1)
        func index(_ match: (CoordinatorAction) -> Bool) -> Int { actions.firstIndex(where: match) ?? -1 }
        let record = index { $0.journals(job.key) }
        let ack = index { if case .send(_, .ack(let a)) = $0 { a.keys == [job.key] } else { false } }
        let observe = index { if case .observe = $0 { true } else { false } }
        let shutdown = index { if case .send(_, .shutdown) = $0 { true } else { false } }
        #expect(record >= 0 && record < ack && ack < observe && observe < shutdown, "\(actions)")
        #expect(s.committed.contains(job.key))
        let repeated = s.handle(.result(JobResult(key: job.key, validationError: 12, trainSeconds: 1)), from: peer, now: 2)
        #expect(repeated.contains { if case .send(_, .ack(let a)) = $0 { a.keys == [job.key] } else { false } })
        #expect(!repeated.contains { if case .journal = $0 { true } else { false } })
    }

    /// A failure that re-queues its job is journaled and acknowledged too (the worker forgets it); a report from
    /// a peer that does not hold the lease is neither.
    @Test func aRetriedFailureIsAcknowledgedAndAForeignReportIsNot() {
        var s = state()
        _ = s.handle(hello("w1", slots: 1), from: peer, now: 0)
        _ = s.handle(hello("w2", slots: 1), from: other, now: 0)
        _ = s.handle(.request(JobRequest(slots: 1)), from: peer, now: 0)
        let (_, job) = sentJobs(s.proposalsArrived(proposals(1), now: 0))[0]
        let forged = s.handle(.failure(JobFailure(key: job.key, reason: "x", class: .transient)), from: other, now: 1)
        #expect(!forged.contains { if case .send(_, .ack) = $0 { true } else { false } })
        let actions = s.handle(.failure(JobFailure(key: job.key, reason: "flaky", class: .transient)), from: peer, now: 1)
        #expect(actions.contains { if case .send(let p, .ack(let a)) = $0 { p == peer && a.keys == [job.key] } else { false } })
        #expect(s.jobs[job.key.jobID]?.status != .leased || s.jobs[job.key.jobID]?.lease?.attempt == 2)
    }

    /// A replay gives the strategy its history in the order it lived it: each propose call after the outcomes
    /// it had seen (journaled with the call), even where the journal wrote later outcomes first; a call without
    /// the count (older journals) keeps its place in the journal.
    @Test func replayPlacesEachProposeCallAfterTheOutcomesItHadSeen() throws {
        var s = state(budget: 10)
        let a = space.architecture(at: 5), b = space.architecture(at: 6), c = space.architecture(at: 7)
        func job(_ id: UInt64, _ arch: Architecture) -> JournalRecord.ProposedJob {
            .init(job: id, architecture: space.format(arch), encoding: space.encode(arch).parts.map(\.probabilities))
        }
        let records: [JournalRecord] = [
            .proposed(call: 0, jobs: [job(1, a), job(2, b)], observed: 0),
            .result(job: 1, attempt: 1, worker: "w", metrics: Metrics(validationError: 10), time: 1),
            .result(job: 2, attempt: 1, worker: "w", metrics: Metrics(validationError: 11), time: 2),
            .proposed(call: 1, jobs: [job(3, c)], observed: 1),  // made before the strategy saw job 2's result
            .proposed(call: 2, jobs: []),  // an older journal's call: after the two outcomes before it
        ]
        let events = try s.restore(from: records, now: 10)
        let shape = events.map { event -> String in
            switch event {
            case .proposed(let p): "P\(p.count)"
            case .observed(let o): o.value.map { "O\(Int($0))" } ?? "F"
            }
        }
        #expect(shape == ["P2", "O10", "P1", "O11", "P0"])
        #expect(s.committed == [JobKey(jobID: 1, attempt: 1), JobKey(jobID: 2, attempt: 1)])
    }

    @Test func aReconnectingWorkerKeepsTheJobsItHolds() {
        var s = state()
        _ = s.handle(hello("w1", slots: 2), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 2)), from: peer, now: 0)
        let jobs = sentJobs(s.proposalsArrived(proposals(2), now: 0)).map(\.1)
        // It re-announces only the first job: the second is lost and re-queued.
        let actions = s.handle(hello("w1", slots: 2, held: [jobs[0].key]), from: peer, now: 1)
        #expect(actions.contains { if case .journal(.failure(let j, _, _, _, _, false, _)) = $0 { j == jobs[1].key.jobID } else { false } })
        #expect(s.jobs[jobs[0].key.jobID]?.status == .leased)
        #expect(s.jobs[jobs[1].key.jobID]?.status == .queued)
    }

    @Test func aRunOfFailuresStopsTheStudyInsteadOfBurningTheSpace() {
        var s = state(budget: 50, maxAttempts: 1)
        s.endWhenNoWorkerCanRun = true  // a machine's own worker (TrustTests: a remote key alone waits for others first)
        _ = s.handle(hello("w1", slots: 3), from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 3)), from: peer, now: 0)
        let jobs = sentJobs(s.proposalsArrived(proposals(3), now: 0)).map(\.1)
        var actions = [CoordinatorAction]()
        for job in jobs {
            actions += s.handle(.failure(JobFailure(key: job.key, reason: "table missing", class: .transient)), from: peer, now: 1)
        }
        #expect(s.failedJobs == 3)
        #expect(!s.finished)  // the limit is 25 by default
        var strict = StudyConfiguration(study: "t")
        strict.maxConsecutiveFailures = 2
        strict.maxAttempts = 1
        strict.evaluator.kind = .synthetic
        var t = CoordinatorState(configuration: strict, space: space)
        t.endWhenNoWorkerCanRun = true
        _ = t.handle(hello("w1", slots: 2), from: peer, now: 0)
        _ = t.handle(.request(JobRequest(slots: 2)), from: peer, now: 0)
        for job in sentJobs(t.proposalsArrived(proposals(2), now: 0)).map(\.1) {
            actions = t.handle(.failure(JobFailure(key: job.key, reason: "table missing", class: .transient)), from: peer, now: 1)
        }
        #expect(t.finished)
        #expect(t.abortReason?.contains("table missing") == true)
        #expect(actions.contains { if case .send(_, .shutdown) = $0 { true } else { false } })
    }

    @Test func refusesAWorkerWithoutTheEvaluator() {
        var s = state()
        let actions = s.handle(.hello(Hello(workerID: "x", host: "h", slots: 1, evaluators: [Capability(kind: .table)], software: "t")),
                               from: peer, now: 0)
        #expect(actions.contains { if case .send(_, .refusal) = $0 { true } else { false } })
        #expect(s.workers.isEmpty)
    }
}
