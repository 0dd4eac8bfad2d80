import ANASOD
@testable import Cluster
import Journal
import Search
import Testing
import Wire

/// Early stopping in the coordinator's state machine (issue 28): a lease that falls out at a rung is cancelled
/// and journaled as stopped, its slot is free at once, a late report of it is acknowledged and dropped, and a
/// study killed while rungs are half full decides as one never killed.
@Suite struct CoordinatorEarlyStoppingTests {
    let space = NB201SearchSpace()
    let peer = PeerID(Array("w1".utf8))

    func state(budget: Int = 12, rule: EarlyStopping.Rule = .asha) -> CoordinatorState {
        var c = StudyConfiguration(study: "t")
        c.budget = budget
        c.jobTimeout = 100
        c.workerTimeout = 30
        c.evaluator.kind = .synthetic
        c.evaluator.training.epochs = 9
        c.earlyStopping = EarlyStoppingChoice(rule: rule, minEpochs: 1, reductionFactor: 3)
        return CoordinatorState(configuration: c, space: space)
    }

    func proposal(_ job: UInt64) -> (job: UInt64, proposal: Proposal) {
        let arch = space.architecture(at: Int(job) * 131)
        return (job, Proposal(architecture: arch, encoding: space.encode(arch)))
    }

    func progress(_ key: JobKey, epoch: Int, error: Double) -> WireMessage {
        .progress(Progress(key: key, epoch: epoch, validationError: error, seconds: Double(epoch)))
    }

    /// The deterministic curve of job `j`: its final error plus a gap that shrinks with the epochs.
    static func curve(_ job: UInt64, epoch: Int) -> Double {
        let final = Double((job * 37) % 23) + 5
        return final + 40 / Double(epoch)
    }

    @Test func aCellThatFallsOutIsCancelledJournaledAsStoppedAndFreesItsSlot() {
        var s = state()
        _ = s.handle(.hello(Hello(workerID: "w1", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)], software: "t")),
                     from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 2)), from: peer, now: 0)
        let jobs = s.proposalsArrived([proposal(1), proposal(2)], now: 0).compactMap { action -> Job? in
            if case .send(_, .job(let j)) = action { j } else { nil }
        }
        #expect(jobs.count == 2)
        #expect(s.handle(progress(jobs[0].key, epoch: 1, error: 30), from: peer, now: 1).contains {
            if case .journal(.progress) = $0 { true } else { false }
        })
        let actions = s.handle(progress(jobs[1].key, epoch: 1, error: 60), from: peer, now: 2)
        let stopped = actions.compactMap { action -> Metrics? in
            if case .journal(.result(2, 1, "w1", let m, 2)) = action { m } else { nil }
        }
        #expect(stopped == [Metrics(validationError: 60, trainSeconds: 2, stoppedAtEpoch: 1)])  // the lease's 2 s
        #expect(actions.contains { if case .send(peer, .cancel(JobCancel(key: jobs[1].key))) = $0 { true } else { false } })
        #expect(actions.contains { if case .observe(2, 1, _, _, .result(let m)) = $0 { m.stoppedAtEpoch == 1 } else { false } })
        // The slot is free at once: the lease is gone, and the worker's next request (sent as its task ends) gets work.
        #expect(s.successes == 1 && s.best == nil && s.jobs[2]?.status == .done && s.workers[peer]?.leases == [1])
        #expect(s.handle(.request(JobRequest(slots: 1)), from: peer, now: 2.5).contains {
            if case .propose(1, _) = $0 { true } else { false }
        })
        // The worker's result of the stopped lease (it finished as the cancel went out) is acknowledged, then dropped.
        let late = s.handle(.result(JobResult(key: jobs[1].key, validationError: 20, trainSeconds: 9)), from: peer, now: 3)
        #expect(late.contains { if case .send(peer, .ack) = $0 { true } else { false } })
        #expect(!late.contains { if case .observe = $0 { true } else { false } })
        #expect(s.refusals.notLeaseHolder == 0 && s.successes == 1)
        // A full result of the other cell is the best seen; stopped cells never are.
        _ = s.handle(.result(JobResult(key: jobs[0].key, validationError: 25, trainSeconds: 9)), from: peer, now: 4)
        #expect(s.best?.job == 1)
    }

    /// A retrain (a later job of a cell an earlier job holds) is neither judged nor recorded at the rungs.
    @Test func aRetrainIsNotJudgedAtTheRungs() {
        var s = state()
        _ = s.handle(.hello(Hello(workerID: "w1", host: "h", slots: 3, evaluators: [Capability(kind: .synthetic)], software: "t")),
                     from: peer, now: 0)
        _ = s.handle(.request(JobRequest(slots: 3)), from: peer, now: 0)
        let again = (job: UInt64(3), proposal: proposal(1).proposal)  // job 3 trains job 1's cell again
        let jobs = s.proposalsArrived([proposal(1), proposal(2), again], now: 0).compactMap { action -> Job? in
            if case .send(_, .job(let j)) = action { j } else { nil }
        }
        #expect(jobs.count == 3 && s.isRetrain(3) && !s.isRetrain(1))
        _ = s.handle(progress(jobs[0].key, epoch: 1, error: 30), from: peer, now: 1)
        _ = s.handle(progress(jobs[1].key, epoch: 1, error: 35), from: peer, now: 1)
        let retrain = s.handle(progress(jobs[2].key, epoch: 1, error: 80), from: peer, now: 2)
        #expect(!retrain.contains { if case .send(_, .cancel) = $0 { true } else { false } })
        #expect(s.ladder?.recorded[1]?[3] == nil && s.jobs[3]?.status == .leased)
    }

    /// Drives a study of `budget` jobs on one worker with 3 slots, each job reporting `curve` each epoch, in a
    /// fixed interleaving, proposals a fixed sequence of cells (the strategy is left out); `killAfter` message(s)
    /// in, the coordinator dies (kill -9: only the journal is left) and a new one resumes from the journal, the
    /// worker saying hello again with the jobs it runs. Returns the jobs stopped, with their epochs.
    func run(budget: Int, killAfter: Int?, rule: EarlyStopping.Rule = .asha) throws -> [UInt64: Int] {
        var s = state(budget: budget, rule: rule)
        var journal = [JournalRecord]()
        var now = 0.0
        var running = [(job: Job, epoch: Int)]()
        var nextJob: UInt64 = 1
        func apply(_ actions: [CoordinatorAction]) {
            var wanted = 0
            for a in actions {
                switch a {
                case .journal(let r): journal.append(r)
                case .send(_, .job(let j)): running.append((j, 0))
                case .send(_, .cancel(let c)): running.removeAll { $0.job.key == c.key }
                case .propose(let count, _): wanted += count
                default: break
                }
            }
            guard wanted > 0 else { return }
            let made = (0..<wanted).map { _ in defer { nextJob += 1 }; return proposal(nextJob) }
            journal.append(.proposed(call: journal.count, jobs: made.map {
                .init(job: $0.job, architecture: space.format($0.proposal.architecture), encoding: $0.proposal.encoding.parts.map(\.probabilities))
            }))
            apply(s.proposalsArrived(made, now: now))
        }
        func welcome() {
            apply(s.handle(.hello(Hello(workerID: "w1", host: "h", slots: 3, evaluators: [Capability(kind: .synthetic)],
                                        software: "t", heldJobs: running.map(\.job.key))), from: peer, now: now))
            apply(s.handle(.request(JobRequest(slots: 3 - running.count)), from: peer, now: now))
        }
        welcome()
        var messages = 0
        while s.successes < budget, !running.isEmpty {
            now += 1
            // The running lease with the fewest epochs reports its next one (ties: the lowest job).
            let i = running.indices.min { (running[$0].epoch, running[$0].job.key.jobID) < (running[$1].epoch, running[$1].job.key.jobID) }!
            running[i].epoch += 1
            let (job, epoch) = running[i]
            if epoch == 9 {
                running.remove(at: i)
                apply(s.handle(.result(JobResult(key: job.key, validationError: Self.curve(job.key.jobID, epoch: 9), trainSeconds: 9)),
                               from: peer, now: now))
                apply(s.handle(.request(JobRequest(slots: 1)), from: peer, now: now))
            } else {
                apply(s.handle(progress(job.key, epoch: epoch, error: Self.curve(job.key.jobID, epoch: epoch)), from: peer, now: now))
                if !running.contains(where: { $0.job.key == job.key }) {
                    apply(s.handle(.request(JobRequest(slots: 1)), from: peer, now: now))  // cancelled: its slot asks again
                }
            }
            messages += 1
            if messages == killAfter {
                s = state(budget: budget, rule: rule)
                _ = try s.restore(from: journal, now: now)
                nextJob = max(nextJob, s.nextJobID)
                welcome()
            }
        }
        var stopped = [UInt64: Int]()
        for r in journal {
            if case .result(let job, _, _, let m, _) = r, let e = m.stoppedAtEpoch { stopped[job] = e }
        }
        #expect(s.successes == budget, "ended with \(s.successes) of \(budget)")
        return stopped
    }

    /// Under the model-based rule too: its final errors are rebuilt from the journal's results.
    @Test(arguments: [EarlyStopping.Rule.asha, .model])
    func aStudyKilledWhileRungsAreHalfFullDecidesAsOneNeverKilled(rule: EarlyStopping.Rule) throws {
        let budget = rule == .model ? 30 : 15
        let whole = try run(budget: budget, killAfter: nil, rule: rule)
        #expect(whole.count >= 5, "stopped \(whole)")
        for kill in [4, 11, 23, 40, 70] {
            #expect(try run(budget: budget, killAfter: kill, rule: rule) == whole, "killed after \(kill) message(s)")
        }
        if rule == .model {
            // The model judged: some cell went on that ASHA would have stopped, or the reverse.
            #expect(try run(budget: budget, killAfter: nil, rule: .asha) != whole)
        }
    }
}
