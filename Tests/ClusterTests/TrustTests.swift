import ANASOD
@testable import Cluster
import Journal
import Search
import Testing
import Wire

/// One bad or hostile worker among many (issue 25), on the pure state machine: a key is an identity, no
/// single key decides a study's fate, dispatch is fair, evictions pass, floods cost the flooder.
@Suite struct TrustTests {
    let space = NB201SearchSpace()
    let honest = PeerID(Array("honest1".utf8), key: "node-a")
    let second = PeerID(Array("honest2".utf8), key: "node-c")
    /// Another admitted key announcing the honest worker's routing id.
    let squatter = PeerID(Array("honest1".utf8), key: "node-b")
    /// A black hole: its routing id sorts first.
    let hole = PeerID([0x01] + Array("hole".utf8), key: "node-b")

    func state(budget: Int = 10, maxAttempts: Int = 3, maxLeases: Int = 16) -> CoordinatorState {
        var c = StudyConfiguration(study: "t")
        c.budget = budget
        c.maxAttempts = maxAttempts
        c.maxLeasesPerWorker = maxLeases
        c.jobTimeout = 100
        c.workerTimeout = 30
        c.heartbeatInterval = 1
        c.evaluator.kind = .synthetic
        return CoordinatorState(configuration: c, space: space)
    }

    func hello(_ id: String, slots: Int = 1, held: [JobKey] = []) -> WireMessage {
        .hello(Hello(workerID: id, host: "h", slots: slots, evaluators: [Capability(kind: .synthetic)], software: "t", heldJobs: held))
    }

    func proposals(_ n: Int, from first: UInt64) -> [(job: UInt64, proposal: Proposal)] {
        (0..<n).map { i in
            let arch = space.architecture(at: Int(first) * 37 + i)
            return (first + UInt64(i), Proposal(architecture: arch, encoding: space.encode(arch)))
        }
    }

    func sentJobs(_ actions: [CoordinatorAction]) -> [(PeerID, Job)] {
        actions.compactMap { if case .send(let p, .job(let j)) = $0 { (p, j) } else { nil } }
    }

    func proposeCount(_ actions: [CoordinatorAction]) -> Int? {
        actions.lazy.compactMap { if case .propose(let n, _) = $0 { n } else { nil } }.first
    }

    /// Answers every `propose` with fresh proposals until no action asks for more; returns the jobs sent.
    func serve(_ s: inout CoordinatorState, _ actions: [CoordinatorAction], next: inout UInt64, now: Double) -> [(PeerID, Job)] {
        var sent = sentJobs(actions)
        var pending = actions
        while let count = proposeCount(pending) {
            pending = s.proposalsArrived(proposals(count, from: next), now: now)
            next += UInt64(count)
            sent += sentJobs(pending)
        }
        return sent
    }

    @Test func anotherKeyUnderTheSameRoutingIDCannotTouchTheLeases() {
        var s = state()
        _ = s.handle(hello("honest1", slots: 2), from: honest, now: 0)
        let jobs = sentJobs(s.proposalsArrived(proposals(2, from: 1), now: 0) + s.handle(.request(JobRequest(slots: 2)), from: honest, now: 0))
        var next: UInt64 = 3
        let leased = jobs.isEmpty ? serve(&s, s.handle(.request(JobRequest(slots: 2)), from: honest, now: 0), next: &next, now: 0) : jobs
        #expect(leased.count == 2)
        // The honest worker dies; a peer with another key takes its routing id and worker id. ROUTER gives a
        // routing id to one connection at a time: the honest worker's is gone, and its leases go back to the
        // queue at once, not to the newcomer.
        _ = s.handle(hello("honest1", slots: 2, held: leased.map(\.1.key)), from: squatter, now: 1)
        #expect(s.refusals.takenIdentities == 1)
        #expect(s.workers[honest] == nil)
        #expect(leased.allSatisfy { s.jobs[$0.1.key.jobID]?.status == .queued })
        for (_, job) in leased {
            _ = s.handle(.result(JobResult(key: job.key, validationError: 0, trainSeconds: 1)), from: squatter, now: 2)
        }
        #expect(s.successes == 0)
        #expect(s.keyRefusals["node-b"] ?? 0 >= 3)
        #expect(s.keyRefusals["node-a"] == nil)
        // The honest worker, back under its own key once the routing id is free, works and is counted.
        _ = s.handle(hello("honest1", slots: 2), from: honest, now: 3)
        let again = serve(&s, s.handle(.request(JobRequest(slots: 2)), from: honest, now: 3), next: &next, now: 3)
        #expect(again.count == 2)
        for (_, job) in again {
            _ = s.handle(.result(JobResult(key: job.key, validationError: 7, trainSeconds: 1)), from: honest, now: 4)
        }
        #expect(s.successes == 2)
    }

    @Test func afterARestartAClaimIsHonouredOnlyFromTheJournaledKey() throws {
        var s = state()
        let arch = space.architecture(at: 5)
        _ = try s.restore(from: [
            .proposed(call: 0, jobs: [.init(job: 1, architecture: space.format(arch), encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]])]),
            .dispatched(job: 1, attempt: 1, worker: "honest1", key: "node-a", time: 0),
        ], now: 100)
        _ = s.handle(hello("honest1", held: [JobKey(jobID: 1, attempt: 1)]), from: squatter, now: 100)
        #expect(s.jobs[1]?.status == .queued)
        #expect(s.refusals.refusedAdoptions == 1)
        _ = s.handle(hello("honest1", held: [JobKey(jobID: 1, attempt: 1)]), from: honest, now: 101)
        #expect(s.jobs[1]?.status == .leased && s.jobs[1]?.lease?.peer == honest)
        // The journal records the key of each lease.
        var t = state()
        _ = t.handle(hello("honest1"), from: honest, now: 0)
        let actions = t.handle(.request(JobRequest(slots: 1)), from: honest, now: 0)
        let dispatched = (actions + t.proposalsArrived(proposals(1, from: 1), now: 0)).compactMap {
            if case .journal(.dispatched(_, _, _, let key, _)) = $0 { key } else { nil }
        }
        #expect(dispatched == ["node-a"])
    }

    /// The black hole of issue 25: 4,096 slots claimed, first in byte order, every job failed at once with
    /// an `architecture` failure. It holds at most `max_leases_per_worker`, fails no cell for good, breaks no
    /// streak, is quarantined once another key has succeeded, and the study reaches its budget.
    @Test func aBlackHoleIsCappedCorroboratedAgainstAndQuarantined() {
        var s = state(budget: 12, maxLeases: 4)
        var next: UInt64 = 1
        _ = s.handle(hello("hole", slots: 4096), from: hole, now: 0)
        _ = s.handle(hello("honest1", slots: 1), from: honest, now: 0)
        var now = 0.0
        var holeJobs = [Job]()
        var honestJobs = [Job]()
        for (peer, job) in serve(&s, s.handle(.request(JobRequest(slots: 4096)), from: hole, now: now) + s.handle(.request(JobRequest(slots: 1)), from: honest, now: now), next: &next, now: now) {
            if peer == hole { holeJobs.append(job) } else { honestJobs.append(job) }
        }
        #expect(holeJobs.count <= 4)
        #expect(s.workers[hole]!.leases.count <= 4)
        var failedByHole = 0
        var rounds = 0
        while !s.finished && rounds < 200 {
            rounds += 1
            now += 1
            var actions = [CoordinatorAction]()
            for job in holeJobs {
                failedByHole += 1
                actions += s.handle(.failure(JobFailure(key: job.key, reason: "NaN", class: .architecture)), from: hole, now: now)
                actions += s.handle(.request(JobRequest(slots: 1)), from: hole, now: now)
            }
            holeJobs = []
            for job in honestJobs {
                actions += s.handle(.result(JobResult(key: job.key, validationError: 10, trainSeconds: 1)), from: honest, now: now)
                actions += s.handle(.request(JobRequest(slots: 1)), from: honest, now: now)
            }
            honestJobs = []
            for (peer, job) in serve(&s, actions + s.tick(now: now), next: &next, now: now) {
                if peer == hole { holeJobs.append(job) } else { honestJobs.append(job) }
            }
        }
        #expect(s.finished && s.abortReason == nil)
        #expect(s.successes == 12)
        #expect(s.failedJobs == 0)
        #expect(s.isQuarantined("node-b"))
        #expect(s.refusals.quarantinedWorkers == 1)
        #expect(failedByHole <= 8, "the black hole failed \(failedByHole) jobs before its quarantine")
    }

    @Test func oneKeysConfigurationFailureExcludesItsWorkerAndASecondKeysStopsTheStudy() {
        var s = state()
        var next: UInt64 = 1
        _ = s.handle(hello("hole"), from: hole, now: 0)
        _ = s.handle(hello("honest1"), from: honest, now: 0)
        let sent = serve(&s, s.handle(.request(JobRequest(slots: 1)), from: hole, now: 0) + s.handle(.request(JobRequest(slots: 1)), from: honest, now: 0), next: &next, now: 0)
        let holeJob = sent.first { $0.0 == hole }!.1
        let honestJob = sent.first { $0.0 == honest }!.1
        _ = s.handle(.failure(JobFailure(key: holeJob.key, reason: "needs data_dir", class: .configuration)), from: hole, now: 1)
        #expect(s.abortReason == nil && !s.finished)
        #expect(s.workers[hole]?.excluded != nil)
        #expect(s.jobs[holeJob.key.jobID]?.status == .queued)
        // The honest key confirms: the settings cannot work, and the study stops at once.
        _ = s.handle(.failure(JobFailure(key: honestJob.key, reason: "needs data_dir", class: .configuration)), from: honest, now: 2)
        #expect(s.finished && s.abortReason?.contains("configuration") == true)
    }

    /// A key alone that has never succeeded (a broken node first to connect) fails no cell for good and stops
    /// no study at once: its failed jobs wait `workerTimeout` for another key; if none comes, its word counts.
    @Test func aLoneKeyThatNeverSucceededWaitsForAnotherBeforeItsWordCounts() {
        var s = state(budget: 10, maxAttempts: 1)
        var next: UInt64 = 1
        _ = s.handle(hello("hole", slots: 2), from: hole, now: 0)
        let first = serve(&s, s.handle(.request(JobRequest(slots: 2)), from: hole, now: 0), next: &next, now: 0)
        #expect(first.count == 2)
        var actions = [CoordinatorAction]()
        for (_, job) in first {
            actions += s.handle(.failure(JobFailure(key: job.key, reason: "NaN", class: .architecture)), from: hole, now: 1)
        }
        #expect(s.failedJobs == 0)
        #expect(first.allSatisfy { s.jobs[$0.1.key.jobID]?.status == .queued })
        // Held jobs do not keep it idle: it gets new cells, not the held ones.
        let more = serve(&s, actions + s.handle(.request(JobRequest(slots: 2)), from: hole, now: 1), next: &next, now: 1)
        #expect(!more.isEmpty && more.allSatisfy { job in !first.contains { $0.1.key.jobID == job.1.key.jobID } })
        // An honest key arriving within the wait takes the held jobs and succeeds.
        _ = s.handle(hello("honest1", slots: 2), from: honest, now: 2)
        let taken = serve(&s, s.handle(.request(JobRequest(slots: 2)), from: honest, now: 2), next: &next, now: 2)
        #expect(Set(taken.map(\.1.key.jobID)) == Set(first.map(\.1.key.jobID)))
        // Alone past the wait, its failures count: a configuration failure stops the study after workerTimeout.
        var t = state(budget: 10)
        var n: UInt64 = 1
        _ = t.handle(hello("only"), from: honest, now: 0)
        let job = serve(&t, t.handle(.request(JobRequest(slots: 1)), from: honest, now: 0), next: &n, now: 0)[0].1
        _ = t.handle(.failure(JobFailure(key: job.key, reason: "needs data_dir", class: .configuration)), from: honest, now: 1)
        #expect(!t.finished)
        _ = t.tick(now: 15)
        #expect(!t.finished)
        _ = t.tick(now: 32)
        #expect(t.finished && t.abortReason?.contains("needs data_dir") == true)
    }

    /// Review cases: a key alone that rested gets jobs again without asking; a peer that never asks for work
    /// neither keeps another key idle nor keeps a broken configuration from stopping the study.
    @Test func neitherARestNorAnIdlePeerStallsTheStudy() {
        var s = state(budget: 30, maxAttempts: 1)
        var next: UInt64 = 1
        _ = s.handle(hello("only", slots: 5), from: honest, now: 0)
        var now = 0.0
        var jobs = serve(&s, s.handle(.request(JobRequest(slots: 5)), from: honest, now: now), next: &next, now: now)
        #expect(jobs.count == 5)
        // Five failures before any success: held, and the key rests (no jobs) for workerTimeout.
        now = 1
        var actions = [CoordinatorAction]()
        for (_, job) in jobs {
            actions += s.handle(.failure(JobFailure(key: job.key, reason: "lost", class: .transient)), from: honest, now: now)
        }
        actions += s.handle(.request(JobRequest(slots: 5)), from: honest, now: now)
        #expect(serve(&s, actions, next: &next, now: now).isEmpty)
        // After the rest it is given jobs again by the tick alone (it asked already).
        now = 32
        _ = s.handle(.heartbeat(Heartbeat(sent: 0)), from: honest, now: now)
        jobs = serve(&s, s.tick(now: now), next: &next, now: now)
        #expect(!jobs.isEmpty)

        // A peer that says hello and never asks for work: another key's failed job does not wait for it,
        // and the other key is not left idle.
        var t = state(budget: 10)
        var n: UInt64 = 1
        _ = t.handle(hello("idle"), from: hole, now: 0)
        _ = t.handle(hello("honest1", slots: 1), from: honest, now: 0)
        let job = serve(&t, t.handle(.request(JobRequest(slots: 1)), from: honest, now: 0), next: &n, now: 0)[0].1
        _ = t.handle(.result(JobResult(key: job.key, validationError: 5, trainSeconds: 1)), from: honest, now: 1)
        let second = serve(&t, t.handle(.request(JobRequest(slots: 1)), from: honest, now: 1), next: &n, now: 1)[0].1
        _ = t.handle(.failure(JobFailure(key: second.key, reason: "NaN", class: .architecture)), from: honest, now: 2)
        #expect(t.failedJobs == 1)  // corroborated: no other key is working
        let third = serve(&t, t.handle(.request(JobRequest(slots: 1)), from: honest, now: 2), next: &n, now: 2)
        #expect(third.count == 1)
        // A configuration failure before any result, with only the idle peer beside it: the study stops.
        var u = state(budget: 10)
        var m: UInt64 = 1
        _ = u.handle(hello("idle"), from: hole, now: 0)
        _ = u.handle(hello("honest1", slots: 1), from: honest, now: 0)
        let first = serve(&u, u.handle(.request(JobRequest(slots: 1)), from: honest, now: 0), next: &m, now: 0)[0].1
        _ = u.handle(.failure(JobFailure(key: first.key, reason: "needs data_dir", class: .configuration)), from: honest, now: 1)
        _ = u.handle(.heartbeat(Heartbeat(sent: 0)), from: hole, now: 31)
        _ = u.tick(now: 32)
        #expect(u.finished && u.abortReason?.contains("needs data_dir") == true)
    }

    @Test func aQuarantinedKeysLeasesAreRequeuedNeverFailedAndUnreachableFindsTheKeyedPeer() {
        var s = state(budget: 10, maxAttempts: 1)
        var next: UInt64 = 1
        _ = s.handle(hello("honest1"), from: honest, now: 0)
        _ = s.handle(hello("hole", slots: 2), from: hole, now: 0)
        let sent = serve(&s, s.handle(.request(JobRequest(slots: 2)), from: hole, now: 0), next: &next, now: 0)
        #expect(sent.count == 2)
        // Release it as quarantine does: retried, uncharged, never final even with attempts used up.
        for (_, job) in sent {
            _ = s.releaseLease(job.key.jobID, reason: "worker hole quarantined", class: .transient, retry: true, charge: false, now: 1)
            #expect(s.jobs[job.key.jobID]?.status == .queued)
        }
        #expect(s.failedJobs == 0)
        // The socket reports an unreachable routing id without its key: the keyed worker is the one removed.
        _ = s.handle(.request(JobRequest(slots: 1)), from: honest, now: 2)
        _ = s.workerUnreachable(PeerID(Array("honest1".utf8)), now: 3)
        #expect(s.workers[honest] == nil)
    }

    @Test func dispatchIsLeastLoadedRoundRobinNotByRoutingBytes() {
        var s = state(budget: 100)
        let next: UInt64 = 1
        _ = s.handle(hello("hole", slots: 8), from: hole, now: 0)
        _ = s.handle(hello("honest1", slots: 8), from: honest, now: 0)
        _ = s.handle(hello("honest2", slots: 8), from: second, now: 0)
        let asked = s.handle(.request(JobRequest(slots: 8)), from: hole, now: 0)
        _ = s.handle(.request(JobRequest(slots: 8)), from: honest, now: 0)
        _ = s.handle(.request(JobRequest(slots: 8)), from: second, now: 0)
        #expect(proposeCount(asked) == 8)
        // Six jobs for 24 slots: two each, whatever the routing ids.
        let sent = sentJobs(s.proposalsArrived(proposals(6, from: next), now: 0))
        var counts = [PeerID: Int]()
        for (peer, _) in sent { counts[peer, default: 0] += 1 }
        #expect(counts == [hole: 2, honest: 2, second: 2])
    }

    @Test func anEvictedKeyIsToldWhenToComeBackAndIsWelcomedThen() {
        var s = state()
        _ = s.handle(hello("hole"), from: hole, now: 0)
        for id in UInt64(1)...10 {
            _ = s.handle(.result(JobResult(key: JobKey(jobID: id, attempt: 1), validationError: 0, trainSeconds: 0)), from: hole, now: 1)
        }
        #expect(s.workers[hole] == nil)
        let refused = s.handle(hello("hole"), from: hole, now: 2)
        let retry = refused.compactMap { if case .send(_, .refusal(let r)) = $0 { r.retryAfter } else { nil } }.first
        #expect(retry != nil && retry! > 0 && retry! <= 30)
        // Another connection of the same key is the same party: refused too.
        #expect(s.handle(hello("other"), from: PeerID(Array("other".utf8), key: "node-b"), now: 3).contains {
            if case .send(_, .refusal) = $0 { true } else { false }
        })
        // After the cool-down it is welcomed again.
        let welcomed = s.handle(hello("hole"), from: hole, now: 40)
        #expect(welcomed.contains { if case .send(_, .welcome) = $0 { true } else { false } })
    }

    @Test func aFloodIsCountedAgainstItsKeyAndEndsInEviction() {
        var s = state()
        _ = s.handle(hello("hole", slots: 2), from: hole, now: 0)
        // A heartbeat listing more jobs than its slots is a strike.
        _ = s.handle(.heartbeat(Heartbeat(sent: 0, running: (1...100).map { JobKey(jobID: $0, attempt: 1) })), from: hole, now: 0)
        #expect(s.domains["node-b"]?.strikes == 1)
        for _ in 0..<9 { _ = s.flooded(hole, dropped: 1000, now: 1) }
        #expect(s.refusals.flooded == 9000)
        #expect(s.keyRefusals["node-b"]! >= 9000)
        #expect(s.workers[hole] == nil)
        #expect(s.refusals.evictedWorkers == 1)
    }

    @Test func progressIsKeptOncePerEpochPerLease() {
        var s = state()
        var next: UInt64 = 1
        _ = s.handle(hello("honest1"), from: honest, now: 0)
        let job = serve(&s, s.handle(.request(JobRequest(slots: 1)), from: honest, now: 0), next: &next, now: 0)[0].1
        var journaled = 0
        for epoch in [1, 1, 1, 2, 1, 3, 3] {
            journaled += s.handle(.progress(Progress(key: job.key, epoch: epoch, validationError: 50, seconds: 1)), from: honest, now: 1)
                .filter { if case .journal(.progress) = $0 { true } else { false } }.count
        }
        #expect(journaled == 3)
    }

    @Test func leasesComeBackAfterTenTimesTheTypicalDurationOnceResultsAreIn() {
        var s = state(budget: 50)
        var next: UInt64 = 1
        _ = s.handle(hello("honest1"), from: honest, now: 0)
        var now = 0.0
        var job = serve(&s, s.handle(.request(JobRequest(slots: 1)), from: honest, now: now), next: &next, now: now)[0].1
        #expect(s.leaseTimeout == 100)  // jobs.timeout until results are in
        for _ in 0..<6 {
            now += 2
            let actions = s.handle(.result(JobResult(key: job.key, validationError: 10, trainSeconds: 2)), from: honest, now: now)
                + s.handle(.request(JobRequest(slots: 1)), from: honest, now: now)
            job = serve(&s, actions, next: &next, now: now)[0].1
        }
        // Durations of 2 s: ten times is 20 s, above ten heartbeats (10 s) and below jobs.timeout.
        #expect(s.leaseTimeout == 20)
        // A lease its holder still lists in its heartbeats stays; one it does not list comes back.
        let start = now
        _ = s.handle(.heartbeat(Heartbeat(sent: 0, running: [job.key])), from: honest, now: start + 21)
        _ = s.tick(now: start + 21.5)
        #expect(s.jobs[job.key.jobID]?.status == .leased)
        _ = s.handle(.heartbeat(Heartbeat(sent: 0, running: [])), from: honest, now: start + 22)
        _ = s.tick(now: start + 22.5)
        #expect(s.jobs[job.key.jobID]?.status == .queued)
    }
}
