import ANASOD
import Foundation
import Journal
import Search
import Wire

/// The coordinator's bookkeeping as a pure state machine: messages, proposals and clock ticks go in,
/// `CoordinatorAction`s come out (messages to send, journal records, work for the strategy). No threads,
/// no I/O: the `Coordinator` executes the actions, and tests drive this type directly.
///
/// - Jobs: one per proposed architecture; each dispatch is a new attempt, leased to one worker until a
///   deadline. A result is accepted once per job, whatever attempt sent it (late and duplicate results
///   are idempotent); a failure or a lost lease re-queues the job until `maxAttempts`, then the job is
///   recorded as failed and reported to the strategy.
/// - Workers: credit-based dispatch (each `request` adds credits, capped at the worker's slots); a worker
///   silent for `workerTimeout` loses its leases; a draining worker gets no new jobs.
/// - Budget: proposals are requested while successes + jobs in flight or queued fall short of the budget;
///   the study ends when `budget` successful results are in (a retrained cell's count once each).
/// - Trust (every peer may be hostile): nothing but a hello counts from a peer that was not welcomed; a
///   result, failure or progress counts only from the worker that holds that exact `(job, attempt)`
///   lease, and only with values in range (errors in 0…100 %, seconds ≥ 0); a `held` claim is adopted
///   only for the exact attempt a restart queued for re-adoption, from the worker the journal names.
///   Everything else is dropped and counted in `refusals`; a worker that sends `evictionThreshold`
///   invalid messages is evicted (its leases re-queued, later messages from it dropped).
/// - Identity is the key (`PeerID.domain`, the CURVE key's name; the connection on plain sockets): leases,
///   claims, strikes, evictions and quarantine are bound to it, never to the routing id or the worker id a
///   client announces. Every peer holding one key is one trust domain (`CoordinatorState+Trust.swift`): no
///   single domain's failures end a study or fail a cell for good while another domain could run it, a
///   domain failing far more often than the rest is quarantined, and dispatch is least-loaded, round-robin.
struct CoordinatorState {
    enum JobStatus: Equatable { case queued, leased, done, failed }

    struct JobEntry {
        var id: UInt64
        var proposal: Proposal
        var architectureString: String
        var attempts = 0
        /// Attempts that count against `maxAttempts`: not those that failed because of their worker (class
        /// `data`, or `configuration` once other workers have succeeded).
        var charged = 0
        /// Trust domains (keys) that failed this job, with the class of their last failure: another domain
        /// gets it when one can run it, and a failure is final only when corroborated
        /// (`CoordinatorState+Trust.swift`).
        var failures = [String: FailureClass]()
        /// Until when a job that failed on the only key connected, one that has not succeeded yet, waits for
        /// another key (that key gets it again after this time, and its next failure is final).
        var holdUntil: Double?
        /// Until when the keys that failed it pass it by while another key could take it (after that anyone
        /// may: a key that never asks for work must not keep a job waiting for ever).
        var avoidUntil = -Double.infinity
        var status = JobStatus.queued
        var lease: (peer: PeerID, attempt: Int, deadline: Double)?
        /// When the current lease was given, and the last epoch journaled for it (progress is kept once per epoch).
        var leasedAt = 0.0
        var lastEpoch: Int?
        var value: Double?
        /// After a restart: the attempt that was in flight, its worker and the key it ran under (nil in older
        /// journals), which may re-announce it (`held`).
        var reAdoption: (attempt: Int, worker: String, key: String?)?
        /// The lease whose result was accepted (a repeat of it is a harmless duplicate).
        var acceptedFrom: (peer: PeerID, attempt: Int)?
        /// Which peer each attempt was leased to: a late report from a lease a worker really held (it went
        /// silent, the lease timed out) is dropped but not held against it.
        var holders = [Int: PeerID]()
    }

    struct WorkerEntry {
        var id: String
        /// The trust domain (`PeerID.domain`): the key it authenticated with.
        var domain: String
        /// When it was last given a job (a dispatch sequence number): the least recently served goes first.
        var servedAt: UInt64 = 0
        /// The jobs its last heartbeat listed as running, and when it came: a lease it still runs outlives the
        /// default lease timeout (up to `jobs.timeout`).
        var reportedRunning = Set<JobKey>()
        var reportedAt = -Double.infinity
        /// When it last asked for work (a request): a worker that never asks is no one to wait for.
        var askedAt = -Double.infinity
        var host: String
        var slots: Int
        var credits = 0
        var lastSeen: Double
        var lastHeartbeatSent: Double
        var leases = Set<UInt64>()
        var draining = false
        /// What it announced it can evaluate.
        var capabilities = [Capability]()
        /// Why it gets no more jobs (a `data` failure, or a `configuration` failure where others succeed).
        var excluded: String?
        /// `resource` failures so far (out of memory, GPU errors).
        var resourceFailures = 0
    }

    /// Invalid messages after which a worker is evicted.
    static let evictionThreshold = 10

    let configuration: StudyConfiguration
    let space: any SearchSpace
    /// The study's limits on measures known only after evaluation: a result that breaks them is never the best.
    let outcomeLimits: OutcomeLimits
    private(set) var jobs = [UInt64: JobEntry]()
    private(set) var queue = [UInt64]()
    var workers = [PeerID: WorkerEntry]()
    private(set) var successes = 0
    private(set) var failedJobs = 0
    private(set) var best: (value: Double, job: UInt64)?
    private(set) var proposalOutstanding = false
    private(set) var stopping = false
    private(set) var finished = false
    /// Set when the study stopped because evaluations keep failing (a broken evaluator, a missing table).
    private(set) var abortReason: String?
    /// Jobs in a row that failed for good, reset by any result.
    private(set) var consecutiveFailures = 0
    /// The reason of the last job that failed for good (for the abort message after a resume).
    private(set) var lastFailure: String?
    /// Set by a `configuration` failure before any result: the settings cannot work.
    private(set) var configurationStop: String?
    /// A stop one key alone asks for (its configuration failure, a run of failures): taken at `deadline`
    /// unless a success comes first or another key is there to try.
    var pendingStop: (reason: String, domains: Set<String>, deadline: Double)?
    /// The keys whose failures make up the current run of failures.
    var streakDomains = Set<String>()
    /// The keys that reported a `configuration` failure before any result.
    var configurationFailures = Set<String>()
    var nextJobID: UInt64 = 1
    /// Messages dropped, by kind.
    var refusals = RefusalCounts()
    /// Messages refused, by the key that sent them.
    var keyRefusals = [String: Int]()
    /// Per trust domain (key): strikes, evictions, quarantine and the outcomes of its leases.
    var domains = [String: DomainEntry]()
    /// The latest time seen (messages and ticks).
    var clock = -Double.infinity
    /// Recent outcomes and failures of all domains together (the quarantine rule compares one with the rest).
    var recentOutcomesTotal = 0
    var recentFailuresTotal = 0
    /// Keys with at least `quarantineMinFailures` recent failures, judged again when another key succeeds.
    var suspects = Set<String>()
    /// The welcomed peer answering each routing id (ROUTER gives a routing id to one connection at a time).
    var routes = [[UInt8]: PeerID]()
    /// Jobs given so far (orders workers for round-robin dispatch).
    var dispatchSequence: UInt64 = 0
    /// Recent lease durations (dispatch to result), for the default lease timeout.
    var durations = LeaseDurations()
    /// End the study when every connected worker is excluded (no other workers will come).
    var endWhenNoWorkerCanRun = false
    /// The reports (results and failures, by attempt) in the journal: a report of one of them is acknowledged.
    private(set) var committed = Set<JobKey>()
    /// Until then, jobs that were in flight before a restart wait for their worker to re-announce them.
    private(set) var reAdoptionUntil = -Double.infinity
    /// The cell the strategy recommends, as last journaled (issue 26).
    private(set) var recommendation: JournalReplay.Recommendation?

    /// Early stopping's rungs (issue 28; nil when off): fed the progress the journal keeps, in journal order,
    /// live and on resume alike (`CoordinatorState+EarlyStopping.swift`).
    var ladder: RungLadder?
    /// Jobs early stopping stopped (they count among `successes`).
    var stoppedCount = 0
    /// The first job of each cell (its architecture string): a later job of the same cell is a retrain, which
    /// the rungs neither judge nor record (`CoordinatorState+EarlyStopping.swift`).
    var firstJobOfCell = [String: UInt64]()

    init(configuration: StudyConfiguration, space: any SearchSpace) {
        self.configuration = configuration
        self.space = space
        outcomeLimits = OutcomeLimits(configuration)
        ladder = configuration.earlyStoppingSettings.map(RungLadder.init)
    }

    /// Jobs leased or queued: the pending points of the next proposal (kept in step with `jobs`).
    private(set) var active = Set<UInt64>()
    /// Every worker that may have credit (a superset: `request` adds to it, `dispatch` takes out those
    /// without credit, gone, draining or excluded).
    var ready = Set<PeerID>()
    var leasedCount: Int { active.count - queue.count }

    // MARK: Resume

    /// Rebuilds the job table from a journal; returns the strategy's replay events. Jobs that were in
    /// flight are queued again (re-leased); completed ones are kept and never redone.
    /// Jobs that were in flight are held back for `workerTimeout` seconds after `now`, so that the worker
    /// that ran them can re-announce them (`held`) instead of their being trained again.
    mutating func restore(from records: [JournalRecord], now: Double = 0) throws -> [StrategyEvent] {
        try restore(from: JournalReplay(records), now: now)
    }

    mutating func restore(from replay: JournalReplay, now: Double = 0) throws -> [StrategyEvent] {
        reAdoptionUntil = now + configuration.workerTimeout
        for trial in replay.trials {
            let architecture: Architecture
            do {
                architecture = try space.parse(trial.architecture)
            } catch {
                throw ClusterError(.resume, "journal holds an architecture of another space: \(error)")
            }
            var entry = JobEntry(id: trial.job, proposal: Proposal(architecture: architecture, encoding: space.encode(architecture)),
                                 architectureString: trial.architecture)
            entry.attempts = trial.attemptCount
            entry.charged = trial.chargedFailures
            switch trial.state {
            case .queued:
                entry.status = .queued
            case .running:
                // Queued again: its worker may re-announce the attempt (`held`) within `workerTimeout`.
                entry.status = .queued
                if let open = trial.openAttempt { entry.reAdoption = (open.number, open.worker, open.key) }
            case .done:
                entry.status = .done
                entry.value = trial.result?.metrics.validationError
            case .failed:
                entry.status = .failed
            }
            jobs[trial.job] = entry
            firstJobOfCell[trial.architecture] = min(firstJobOfCell[trial.architecture] ?? trial.job, trial.job)
            nextJobID = max(nextJobID, trial.job + 1)
        }
        committed = replay.committed
        successes = replay.accepted.count
        failedJobs = replay.failedCount
        consecutiveFailures = replay.consecutiveFailures
        lastFailure = replay.lastFailureReason
        if let best = replay.best(where: outcomeLimits.allows), let value = best.result?.metrics.validationError {
            self.best = (value, best.job)
        }
        if let failure = replay.configurationFailureBeforeAnyResult {
            configurationStop = Self.configurationReason(failure.job, failure.reason)
        }
        recommendation = replay.recommendation
        stoppedCount = replay.stopped.count
        rebuildLadder(from: replay)
        // The observations the strategy had live: a result's value and seconds (its accepted attempt's), a failure's nil.
        let events: [StrategyEvent] = replay.history.map { step in
            switch step {
            case .proposed(_, let ids): .proposed(ids.compactMap { jobs[$0]?.proposal })
            case .observed(let job, let value):
                .observed(Self.observation(of: jobs[job]!.proposal, result: value == nil ? nil : replay[job: job]?.result?.metrics,
                                           rungErrors: ladder?.errors(of: job) ?? [:]))
            }
        }
        queue = jobs.values.filter { $0.status == .queued }.map(\.id).sorted()
        active = Set(queue)
        if successes >= configuration.budget { finished = true }
        // A study that stopped because its jobs kept failing stays stopped (`abortReason`) until the
        // caller decides otherwise (`continueAfterFailures()`): resuming must not burn jobs on the same cause.
        if !finished, consecutiveFailures >= configuration.maxConsecutiveFailures {
            abortReason = "\(consecutiveFailures) jobs in a row failed for good; the last: \(lastFailure ?? "?")"
        }
        if !finished, successes == 0, let configurationStop { abortReason = configurationStop }
        return events
    }

    /// An evaluation of `peer`'s key that counts against the budget (a result, or a cell early stopping stopped):
    /// a success for the quarantine rule (and the evidence it waits for against other keys), the end of a run
    /// of failures and of any stop pending on one.
    mutating func succeeded(_ peer: PeerID, now: Double) -> [CoordinatorAction] {
        var actions = [CoordinatorAction]()
        noteOutcome(peer.domain, failure: false)
        // Another key's success is the evidence the quarantine rule waits for.
        for domain in suspects.sorted() where domain != peer.domain {
            actions += judge(domain, now: now)
            if let entry = domains[domain], entry.quarantineReason == nil && entry.recentFailures >= Self.quarantineMinFailures {} else {
                suspects.remove(domain)
            }
        }
        successes += 1
        consecutiveFailures = 0
        streakDomains.removeAll()
        configurationFailures.removeAll()
        pendingStop = nil
        configurationStop = nil
        return actions
    }

    /// Ends the lease `key` of `peer` as done with `value` without a result from it (early stopping stopped it,
    /// `CoordinatorState+EarlyStopping.swift`): the job is done and counts as `succeeded`, its slot is free, and
    /// a report the worker sends all the same is acknowledged and dropped.
    mutating func completeWithoutResult(_ key: JobKey, peer: PeerID, value: Double) -> JobEntry? {
        guard var job = jobs[key.jobID], holdsLease(key, peer: peer) else { return nil }
        workers[peer]?.leases.remove(job.id)
        active.remove(job.id)
        job.lease = nil
        job.status = .done
        job.value = value
        job.acceptedFrom = (peer, key.attempt)
        jobs[job.id] = job
        committed.insert(key)
        return job
    }

    /// Resumes a study that had stopped for too many failures: the run of failures starts again from zero.
    mutating func continueAfterFailures() {
        abortReason = nil
        configurationStop = nil
        consecutiveFailures = 0
    }

    // MARK: Messages

    mutating func handle(_ message: WireMessage, from peer: PeerID, now: Double) -> [CoordinatorAction] {
        clock = max(clock, now)
        if let until = domains[peer.domain]?.evictedUntil, now < until {
            refuse(peer) { $0.unwelcomed += 1 }
            guard case .hello = message else { return [] }
            // An evicted key may come back after its cool-down: it is told when.
            return [.send(peer, .refusal(Refusal(reason: "evicted: \(domains[peer.domain]?.evictionReason ?? "invalid messages"); "
                                                 + "say hello again in \(Int((until - now).rounded(.up))) s",
                                                 retryAfter: until - now)))]
        }
        var actions = [CoordinatorAction]()
        if let holder = routes[peer.bytes], holder != peer {
            // Another key now answers this routing id: the connection of the worker that held it is gone (a
            // routing id belongs to one connection at a time). Its leases go elsewhere now, and nothing meant
            // for it is sent to the newcomer.
            refuse(peer) { $0.takenIdentities += 1 }
            actions += workerUnreachable(holder, now: now)
        }
        if case .hello = message {} else if workers[peer] == nil {
            refuse(peer) { $0.unwelcomed += 1 }  // not welcomed: nothing it says counts
            return actions
        }
        workers[peer]?.lastSeen = now
        switch message {
        case .hello(let hello):
            actions += welcome(hello, peer: peer, now: now)
        case .request(let request):
            guard var worker = workers[peer] else { break }
            worker.credits = min(worker.credits + request.slots, max(0, capacity(of: worker) - worker.leases.count))
            worker.askedAt = now
            workers[peer] = worker
            if worker.credits > 0 { ready.insert(peer) }
        case .heartbeat(let heartbeat):
            // A worker runs at most its slots: a longer list is not a heartbeat but a flood.
            if let worker = workers[peer], heartbeat.running.count > max(worker.slots, 1) {
                actions += strike(peer, now: now) { $0.invalidValues += 1 }
            } else {
                workers[peer]?.reportedRunning = Set(heartbeat.running)
                workers[peer]?.reportedAt = now
            }
        case .progress(let message):
            guard holdsLease(message.key, peer: peer) else {
                actions += dropForeignReport(message.key, from: peer, now: now)
                break
            }
            let p = message.progress
            guard Self.validError(p.validationError), p.trainLoss.map({ $0 >= 0 }) ?? true, p.seconds >= 0, p.epoch >= 0 else {
                actions += strike(peer, now: now) { $0.invalidValues += 1 }
                break
            }
            // Kept once per epoch per lease: a repeat, or an epoch older than the last, is dropped quietly.
            if let last = jobs[message.key.jobID]?.lastEpoch, p.epoch <= last { break }
            jobs[message.key.jobID]?.lastEpoch = p.epoch
            actions.append(.journal(.progress(job: message.key.jobID, attempt: message.key.attempt, progress: p)))
            actions += judgeAtRung(message.key, progress: p, peer: peer, now: now)
        case .result(let r):
            actions += acknowledging(r.key, from: peer) { state in
                state.adoptReported(r.key, from: peer, now: now)
                return state.accept(r, from: peer, now: now)
            }
        case .failure(let f):
            actions += acknowledging(f.key, from: peer) { state in
                state.adoptReported(f.key, from: peer, now: now)
                guard state.holdsLease(f.key, peer: peer) else { return state.dropForeignReport(f.key, from: peer, now: now) }
                return state.failed(f, from: peer, now: now)
            }
        case .drain:
            workers[peer]?.draining = true
            workers[peer]?.credits = 0
        case .welcome, .refusal, .job, .cancel, .shutdown, .ack:
            actions += strike(peer, now: now) { $0.notLeaseHolder += 1 }  // coordinator-to-worker messages
        }
        // Heartbeats and progress change nothing dispatch looks at (the tick dispatches too), but for a cell
        // early stopping just stopped: its slot is free.
        switch message {
        case .progress(let m) where jobs[m.key.jobID]?.status == .done && jobs[m.key.jobID]?.acceptedFrom?.attempt == m.key.attempt:
            actions += dispatch(now: now)
        case .heartbeat, .progress: break
        default: actions += dispatch(now: now)
        }
        return actions
    }

    /// Whether `peer` holds the lease of exactly `key`.
    func holdsLease(_ key: JobKey, peer: PeerID) -> Bool {
        guard let job = jobs[key.jobID], job.status == .leased, let lease = job.lease else { return false }
        return lease.peer == peer && lease.attempt == key.attempt
    }

    /// Whether `peer` once held the lease of `key` (released since): its late report is stale, not forged.
    func heldEarlier(_ key: JobKey, peer: PeerID) -> Bool {
        jobs[key.jobID]?.holders[key.attempt] == peer
    }

    /// Counts a report for a lease the sender does not hold; only a forgery (a lease it never held) is a
    /// strike against it.
    mutating func dropForeignReport(_ key: JobKey, from peer: PeerID, now: Double) -> [CoordinatorAction] {
        if isRepeatOfAcceptedLease(key, peer: peer) { return [] }
        if heldEarlier(key, peer: peer) {
            // Its lease moved on: the worker stops the job, or forgets its report.
            refusals.notLeaseHolder += 1
            return [.send(peer, .cancel(JobCancel(key: key)))]
        }
        return strike(peer, now: now) { $0.notLeaseHolder += 1 }
    }

    /// Whether `key` from `peer` is the lease whose result was already accepted (a harmless repeat).
    func isRepeatOfAcceptedLease(_ key: JobKey, peer: PeerID) -> Bool {
        guard let from = jobs[key.jobID]?.acceptedFrom else { return false }
        return from.peer == peer && from.attempt == key.attempt
    }

    static func validError(_ value: Double?) -> Bool {
        guard let value else { return true }
        return value.isFinite && (0...100).contains(value)
    }

    /// Counts an invalid message against a worker; evicts it at `evictionThreshold`.
    mutating func strike(_ peer: PeerID, now: Double, _ count: (inout RefusalCounts) -> Void) -> [CoordinatorAction] {
        refuse(peer, count)
        guard workers[peer] != nil else { return [] }
        let strikes = addStrike(peer.domain, now: now)
        guard strikes >= Self.evictionThreshold else { return [] }
        return evict(peer, reason: "\(strikes) invalid messages", now: now)
    }

    /// An undecodable frame: counted, and held against the sender when it is a welcomed worker.
    mutating func malformed(from peer: PeerID, now: Double) -> [CoordinatorAction] {
        guard workers[peer] != nil else {
            refuse(peer) { $0.malformed += 1 }
            return []
        }
        return strike(peer, now: now) { $0.malformed += 1 }
    }

    /// A connection or message turned away by CURVE: counted; a welcomed worker whose key was revoked is evicted.
    mutating func securityRefused(_ refusal: SecurityRefusal, now: Double) -> [CoordinatorAction] {
        switch refusal.kind {
        case .unknownKey: refusals.unknownKeys += 1
        case .failedHandshake: refusals.failedHandshakes += 1
        case .revokedKey:
            refusals.revokedKeys += 1
            if let key = refusal.peer?.key { keyRefusals[key, default: 0] += 1 }
            // Its workers leave and their leases go elsewhere; the key is not banned: a key file that comes
            // back (a revocation undone) lets them say hello again at once.
            if let peer = refusal.peer, workers[peer] != nil {
                return evict(peer, reason: "its key was revoked", coolDown: false, now: now)
            }
        }
        return []
    }

    /// Removes a worker: its leases are re-queued (not charged to the job). With `coolDown`, nothing its key
    /// sends counts for `DomainEntry.coolDown` seconds (doubling with each eviction); then it may say hello
    /// again, and is told when in the refusal (`retryAfter`).
    mutating func evict(_ peer: PeerID, reason: String, coolDown: Bool = true, now: Double) -> [CoordinatorAction] {
        guard workers[peer] != nil else { return [] }
        var retry = 1.0
        // A cool-down bans the key, so every worker of that key leaves (the others' replies would be dropped).
        var leaving = [peer]
        if coolDown {
            var domain = domains[peer.domain, default: DomainEntry()]
            domain.evictions += 1
            domain.strikes = 0
            retry = DomainEntry.coolDown(after: domain.evictions)
            domain.evictedUntil = now + retry
            domain.evictionReason = reason
            domains[peer.domain] = domain
            leaving += workers.keys.filter { $0 != peer && $0.domain == peer.domain }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        }
        var actions = [CoordinatorAction]()
        for gone in leaving {
            guard let worker = workers[gone] else { continue }
            for jobID in worker.leases.sorted() {
                if let attempt = jobs[jobID]?.lease?.attempt {
                    actions.append(.send(gone, .cancel(JobCancel(key: JobKey(jobID: jobID, attempt: attempt)))))
                }
                actions += releaseLease(jobID, reason: "worker \(worker.id) evicted: \(reason)", class: .transient, retry: true,
                                        charge: false, now: now)
            }
            removeWorker(gone)
            refusals.evictedWorkers += 1
            actions.append(.send(gone, .refusal(Refusal(reason: "evicted: \(reason)", retryAfter: retry))))
            actions.append(.evicted(worker: worker.id, reason: reason))
        }
        return actions
    }

    mutating func welcome(_ hello: Hello, peer: PeerID, now: Double) -> [CoordinatorAction] {
        let settings = configuration.evaluator
        guard hello.evaluators.contains(where: { $0.serves(settings, space: configuration.space.name) }) else {
            let hint: String = switch settings.kind {
            case .external: " (a worker offers 'external' trainers it was started with: --trainer-command, --trainer NAME=CMD, and the spaces and data sets of --trainer-spaces / --trainer-datasets)"
            case .table: " (a worker offers the NB201 tables it finds: --nb201-dir, $ANASOD_NB201_DIR)"
            case .trainer: " (a worker offers the Swift trainer where Fashion-MNIST is installed: /usr/share/datasets/fashion-mnist)"
            case .synthetic: ""
            }
            let offers = hello.evaluators.isEmpty ? "nothing" : hello.evaluators.map(\.summary).joined(separator: ", ")
            let needs = "\(settings.kind.rawValue) for \(configuration.space) on \(settings.datasetName)"
                + (settings.kind == .external ? " with trainer '\(settings.trainerProfile)'" : "")
            return [.send(peer, .refusal(Refusal(reason: "this study needs \(needs); the worker offers \(offers)\(hint)")))]
        }
        if let defined = configuration.space.definition, !hello.features.contains(Hello.definedSpaces) {
            // An older build would take the jobs and fail each one for a space it does not know.
            return [.send(peer, .refusal(Refusal(reason: "this study searches its own space '\(defined.name)', defined in its study "
                                                 + "file, and this worker's build (\(hello.software)) cannot read such a definition: "
                                                 + "upgrade the worker")))]
        }
        if settings.device == .gpu && hello.devices.isEmpty {
            return [.send(peer, .refusal(Refusal(reason: "this study trains on GPUs only (evaluator.device: gpu) and the worker has no "
                                                 + "GPU slots: start it with --gpus auto (or --gpus 0,1,…)")))]
        }
        guard !finished else { return [.send(peer, .shutdown(Shutdown(reason: "the study is complete")))] }
        var actions = [CoordinatorAction]()
        let held = Set(hello.heldJobs)
        // Leases this peer had that it no longer holds are lost.
        if let old = workers[peer] {
            for jobID in old.leases {
                guard let lease = jobs[jobID]?.lease, !held.contains(JobKey(jobID: jobID, attempt: lease.attempt)) else { continue }
                workers[peer]?.leases.remove(jobID)
                actions += releaseLease(jobID, reason: "worker restarted", class: .transient, now: now)
            }
        }
        let previous = workers[peer]
        var entry = WorkerEntry(id: hello.workerID, domain: peer.domain, host: hello.host, slots: hello.slots, lastSeen: now,
                                lastHeartbeatSent: now)
        entry.servedAt = previous?.servedAt ?? 0
        entry.leases = previous?.leases ?? []
        entry.excluded = previous?.excluded
        entry.resourceFailures = previous?.resourceFailures ?? 0
        entry.capabilities = hello.evaluators
        workers[peer] = entry
        routes[peer.bytes] = peer
        // Jobs the worker re-announces: adopt them if nobody else has them, else cancel its copy. A worker
        // holds at most its slots and the reports it kept unacknowledged: claims beyond twice its slots (and
        // at most `maxLeasesPerWorker` more) are not considered.
        for key in hello.heldJobs.prefix(2 * max(hello.slots, 1) + configuration.maxLeasesPerWorker)
            where !entry.leases.contains(key.jobID) {
            if !adopt(key, peer: peer, worker: hello.workerID, now: now) {
                // A job already done or failed for good is no claim on anything (a report the worker still
                // holds for it is acknowledged when it is sent again); any other claim is refused.
                if let status = jobs[key.jobID]?.status, status == .done || status == .failed {} else {
                    refuse(peer) { $0.refusedAdoptions += 1 }
                }
                actions.append(.send(peer, .cancel(JobCancel(key: key))))
            }
        }
        actions.append(.send(peer, .welcome(Welcome(workerID: hello.workerID, studyID: configuration.study,
                                                    heartbeatInterval: configuration.heartbeatInterval,
                                                    software: ClusterVersion.software,
                                                    spaceDefinition: configuration.space.definition?.definitionJSON))))
        return actions
    }

    /// Gives `peer` the lease of `key` when a restart queued exactly that attempt for re-adoption by that
    /// worker (it re-announced the job, or sent the report it kept on disk across its own restart).
    mutating func adopt(_ key: JobKey, peer: PeerID, worker: String, now: Double) -> Bool {
        // The claim must come from the key the attempt was leased to (journals older than keys name none).
        guard var job = jobs[key.jobID], job.status == .queued, let claim = job.reAdoption,
              claim.attempt == key.attempt, claim.worker == worker, claim.key == nil || claim.key == peer.key else { return false }
        job.reAdoption = nil
        job.status = .leased
        job.attempts = max(job.attempts, key.attempt)
        job.lease = (peer, key.attempt, now + configuration.jobTimeout)
        job.leasedAt = now
        job.lastEpoch = nil
        job.holders[key.attempt] = peer
        jobs[key.jobID] = job
        queue.removeAll { $0 == key.jobID }
        workers[peer]?.leases.insert(key.jobID)
        return true
    }

    /// A report for an attempt queued for re-adoption by its sender: adopted, so that it counts.
    mutating func adoptReported(_ key: JobKey, from peer: PeerID, now: Double) {
        guard let worker = workers[peer], !holdsLease(key, peer: peer) else { return }
        _ = adopt(key, peer: peer, worker: worker.id, now: now)
    }

    mutating func accept(_ r: JobResult, from peer: PeerID, now: Double) -> [CoordinatorAction] {
        guard holdsLease(r.key, peer: peer) else { return dropForeignReport(r.key, from: peer, now: now) }
        if let problem = r.metrics.problem {
            var actions = releaseLease(r.key.jobID, reason: "invalid result: \(problem)", class: .transient, now: now)
            actions += strike(peer, now: now) { $0.invalidValues += 1 }
            return actions
        }
        guard var job = jobs[r.key.jobID] else { return [] }
        var actions = [CoordinatorAction]()
        workers[peer]?.leases.remove(job.id)
        active.remove(job.id)
        job.lease = nil
        job.status = .done
        job.value = r.metrics.validationError
        job.acceptedFrom = (peer, r.key.attempt)
        jobs[job.id] = job
        durations.record(now - job.leasedAt)
        actions += succeeded(peer, now: now)
        if outcomeLimits.allows(r.metrics), best == nil || r.metrics.validationError < best!.value {
            best = (r.metrics.validationError, job.id)
        }
        // The model-based stopping rule learns final errors from cells trained to the end (retrains are no rung's).
        let counts = outcomeLimits.allows(r.metrics)
        if !isRetrain(job.id) { ladder?.finished(job: job.id, error: r.metrics.validationError, counts: counts) }
        let worker = workers[peer]?.id ?? peer.description
        actions += observed(job: job.id, attempt: r.key.attempt, worker: worker, proposal: job.proposal,
                            outcome: .result(r.metrics), now: now)
        if successes >= configuration.budget { actions += finish(reason: "budget of \(configuration.budget) reached") }
        return actions
    }

    /// What a worker's failure report means, by its class (cluster/PROTOCOL.md): the settings cannot work
    /// (the study stops), this worker cannot run such jobs (it gets no more; the job goes elsewhere), it ran
    /// out of resources (another worker retries), a passing fault (retried), or the cell fails (recorded).
    mutating func failed(_ f: JobFailure, from peer: PeerID, now: Double) -> [CoordinatorAction] {
        let jobID = f.key.jobID
        let worker = workers[peer]?.id ?? peer.description
        var actions = [CoordinatorAction]()
        switch f.failureClass {
        case .configuration where successes == 0:
            // Nothing has succeeded with these settings. Another key's word is needed to stop the study: until
            // then this worker gets no more jobs and the job goes elsewhere. A second key failing alike stops it
            // at once; a key alone stops it once no other key has come to try within `workerTimeout` (at once
            // for a machine's own workers, `endWhenNoWorkerCanRun`).
            let reason = Self.configurationReason(jobID, "\(f.reason) (worker \(worker))")
            configurationFailures.insert(peer.domain)
            let byAnother = configurationFailures.count >= 2
                || corroboratedByAnotherKey(jobID, domain: peer.domain, class: .configuration)
            if byAnother || (endWhenNoWorkerCanRun && corroborates(jobID, domain: peer.domain, class: .configuration)) {
                actions += releaseLease(jobID, reason: f.reason, class: .configuration, now: now)
                if abortReason == nil {
                    configurationStop = reason
                    abortReason = configurationStop
                    actions += finish(reason: abortReason!)
                }
            } else {
                if pendingStop == nil, corroborates(jobID, domain: peer.domain, class: .configuration) {
                    pendingStop = (reason, [peer.domain], now + configuration.workerTimeout)
                    configurationStop = reason
                }
                actions += exclude(peer, reason: "gets no more jobs after a configuration failure no other worker has confirmed: "
                                   + Self.clipped(f.reason), now: now)
                actions += releaseLease(jobID, reason: f.reason, class: .configuration, retry: true, charge: false, now: now)
            }
        case .configuration, .data:
            // This worker's problem: other workers succeed with the same settings, or its input is missing.
            actions += exclude(peer, reason: "gets no more jobs after a \(f.failureClass.rawValue) failure: \(Self.clipped(f.reason))",
                               now: now)
            actions += releaseLease(jobID, reason: f.reason, class: f.failureClass, retry: true, charge: false, now: now)
        case .resource:
            workers[peer]?.resourceFailures += 1
            actions += releaseLease(jobID, reason: f.reason, class: .resource, now: now)
            if let count = workers[peer]?.resourceFailures, count & (count - 1) == 0 {
                actions.append(.journal(.note(worker: worker, message: "\(count) resource failure(s); the last: \(Self.clipped(f.reason))",
                                              time: now)))
            }
        case .transient, .architecture:
            actions += releaseLease(jobID, reason: f.reason, class: f.failureClass, now: now)
        }
        return actions + judge(peer.domain, now: now)
    }

    static func configurationReason(_ job: UInt64, _ reason: String) -> String {
        "job \(job) failed with a configuration error before any result: \(reason). Fix the study's settings "
            + "(anasod check --config …), then resume with --allow-config-change --continue-after-failures"
    }

    /// A worker that gets no more jobs (said in the log and the journal, for `anasod status`).
    mutating func exclude(_ peer: PeerID, reason: String, now: Double) -> [CoordinatorAction] {
        guard var worker = workers[peer], worker.excluded == nil else { return [] }
        worker.excluded = reason
        worker.credits = 0
        workers[peer] = worker
        var actions: [CoordinatorAction] = [.journal(.note(worker: worker.id, message: reason, time: now))]
        if workers.values.allSatisfy({ $0.excluded != nil || $0.draining }) {
            if endWhenNoWorkerCanRun && abortReason == nil {
                abortReason = "no worker can run this study's jobs; the last: worker \(worker.id) \(reason)"
                actions += finish(reason: abortReason!)
            } else {
                actions.append(.journal(.note(worker: "*", message: "no connected worker can run this study's jobs; waiting for workers",
                                              time: now)))
            }
        }
        return actions
    }

    /// Ends a lease that will not produce a result: re-queue (while the class allows a retry and the job has
    /// attempts left), or record the job as failed. A failure is final only when corroborated: by a second
    /// key, or because no other key could run the job (`corroborates`); until then the job is re-queued for
    /// another key, so that one bad worker cannot fail cells, or a run of them, for good.
    mutating func releaseLease(_ jobID: UInt64, reason: String, class failureClass: FailureClass, retry: Bool? = nil,
                               charge: Bool = true, now: Double) -> [CoordinatorAction] {
        guard var job = jobs[jobID], job.status == .leased, let lease = job.lease else { return [] }
        workers[lease.peer]?.leases.remove(jobID)
        job.lease = nil
        let domain = lease.peer.domain
        if charge {
            job.charged += 1
            noteOutcome(domain, failure: true)
        }
        jobs[jobID] = job
        var corroborated = true
        if retry == nil {
            let alone = !hasEligibleDomain(outside: Set(job.failures.keys).union([domain]))
            let proven = endWhenNoWorkerCanRun || (domains[domain]?.results ?? 0) > 0 || job.holdUntil.map { now >= $0 } ?? false
            corroborated = corroboratedByAnotherKey(jobID, domain: domain, class: failureClass) || (alone && proven)
            // The only key here has not succeeded yet (a broken node first to connect?): the job waits a
            // while for another key before this one's word counts alone.
            if alone && !corroborated && job.holdUntil == nil {
                job.holdUntil = now + configuration.workerTimeout
                var entry = domains[domain, default: DomainEntry()]
                entry.heldFailures += 1
                if entry.heldFailures >= Self.quarantineMinFailures {
                    entry.heldFailures = 0
                    entry.restUntil = now + configuration.workerTimeout
                }
                domains[domain] = entry
            }
        }
        job.failures[domain] = failureClass
        job.avoidUntil = now + configuration.workerTimeout
        let worker = workers[lease.peer]?.id ?? lease.peer.description
        let wantsRetry = retry ?? failureClass.retryable
        if retry == true || wantsRetry && job.charged < configuration.maxAttempts || !corroborated {
            job.status = .queued
            jobs[jobID] = job
            queue.insert(jobID, at: 0)
            return [.journal(.failure(job: jobID, attempt: lease.attempt, worker: worker, reason: reason, class: failureClass,
                                      final: false, time: now))]
        }
        job.status = .failed
        jobs[jobID] = job
        active.remove(jobID)
        failedJobs += 1
        consecutiveFailures += 1
        var actions = observed(job: jobID, attempt: lease.attempt, worker: worker, proposal: job.proposal,
                               outcome: .failure(reason: reason, class: failureClass), now: now)
        streakDomains.insert(domain)
        if consecutiveFailures >= configuration.maxConsecutiveFailures && abortReason == nil {
            let why = "\(consecutiveFailures) jobs in a row failed for good; the last: \(reason)"
            // Failures from two keys, or a machine's own workers: the study stops now. One key alone: once no
            // other key has come to try within `workerTimeout`.
            if streakDomains.count >= 2 || endWhenNoWorkerCanRun {
                abortReason = why
                actions += finish(reason: why)
            } else if pendingStop == nil {
                pendingStop = (why, streakDomains, now + configuration.workerTimeout)
            }
        }
        return actions
    }

    /// A job's final outcome: its journal record, then the strategy's observation (the coordinator commits the
    /// record, sends the acknowledgement, then hands the observation over, in that order).
    func observed(job: UInt64, attempt: Int, worker: String, proposal: Proposal, outcome: CoordinatorAction.Outcome,
                  now: Double) -> [CoordinatorAction] {
        let record: JournalRecord = switch outcome {
        case .result(let metrics): .result(job: job, attempt: attempt, worker: worker, metrics: metrics, time: now)
        case .failure(let reason, let failureClass):
            .failure(job: job, attempt: attempt, worker: worker, reason: reason, class: failureClass, final: true, time: now)
        }
        return [.journal(record), .observe(job: job, attempt: attempt, worker: worker, proposal: proposal, outcome: outcome)]
    }

    /// What the strategy observes of a job's final outcome, live (`Coordinator.execute`) and on resume alike: a
    /// result's validation error and training seconds, or nil for a failure.
    /// With early stopping, a result carries the errors its job's rungs recorded, and a stopped one its epoch; a
    /// result carries what its trainer measured beside the error (latency, memory: issue 30).
    static func observation(of proposal: Proposal, result: Metrics?, rungErrors: [Int: Double] = [:]) -> Observation {
        Observation(architecture: proposal.architecture, value: result?.validationError, seconds: result?.trainSeconds,
                    stoppedAtEpoch: result?.stoppedAtEpoch, rungErrors: result == nil ? [:] : rungErrors,
                    measured: result?.measured ?? [:])
    }

    // MARK: Recommendation

    /// The strategy's recommendation after a batch of observations: journaled when it differs from the last one
    /// (cell, estimate or the cell's results), nothing otherwise. An estimate that is not a finite number (a
    /// strategy's bug) is not journaled: a journal must stay readable.
    mutating func recommended(_ r: Recommendation?, afterObservations: Int, afterCalls: Int, now: Double) -> [CoordinatorAction] {
        guard let r, r.estimate.isFinite else { return [] }
        let architecture = space.format(r.architecture)
        if let last = recommendation, last.architecture == architecture, last.estimate == r.estimate,
           last.observations == r.observations {
            return []
        }
        let next = JournalReplay.Recommendation(architecture: architecture, estimate: r.estimate, observations: r.observations,
                                                afterObservations: afterObservations, afterCalls: afterCalls, time: now)
        recommendation = next
        return [.journal(next.record)]
    }

    // MARK: Acknowledgements

    /// A report (result or failure) from a welcomed `peer`, around its handling: one already in the journal is
    /// acknowledged at once (a worker sends its unacknowledged reports again after a reconnect); one that
    /// handling journals is acknowledged right after its record, so the acknowledgement goes out once the
    /// record is committed (the coordinator appends a batch's records before it sends anything) and before
    /// any shutdown the same result causes.
    mutating func acknowledging(_ key: JobKey, from peer: PeerID, _ handle: (inout CoordinatorState) -> [CoordinatorAction])
        -> [CoordinatorAction] {
        let welcomed = workers[peer] != nil
        var actions = [CoordinatorAction]()
        if welcomed && committed.contains(key) { actions.append(.send(peer, .ack(Ack(keys: [key])))) }
        let handled = handle(&self)
        guard let index = handled.firstIndex(where: { $0.journals(key) }) else { return actions + handled }
        committed.insert(key)
        actions += handled[...index]
        if welcomed { actions.append(.send(peer, .ack(Ack(keys: [key])))) }
        return actions + handled[(index + 1)...]
    }

    // MARK: Dispatch

    mutating func dispatch(now: Double) -> [CoordinatorAction] {
        guard !finished, !stopping else { return [] }
        var actions = [CoordinatorAction]()
        // Only workers that asked for jobs (`ready`) are looked at: with a thousand workers connected, a look at
        // all of them for every message would be what limits the coordinator. Fair: the least loaded first,
        // then the least recently served, one job each per round; never by the routing id a client chose.
        if !queue.isEmpty {
            var round = ready.filter { canTakeJobs($0, now: now) }.sorted { a, b in
                let x = workers[a]!, y = workers[b]!
                if x.leases.count != y.leases.count { return x.leases.count < y.leases.count }
                if x.servedAt != y.servedAt { return x.servedAt < y.servedAt }
                return a.bytes.lexicographicallyPrecedes(b.bytes)
            }
            while !round.isEmpty && !queue.isEmpty {
                var next = [PeerID]()
                for peer in round {
                    guard var worker = workers[peer], worker.credits > 0,
                          let index = queue.firstIndex(where: { (now >= reAdoptionUntil || jobs[$0]?.reAdoption == nil) && !avoids($0, peer, now: now) })
                    else { continue }
                    let jobID = queue.remove(at: index)
                    guard var job = jobs[jobID], job.status == .queued else {
                        next.append(peer)
                        continue
                    }
                    job.attempts += 1
                    job.reAdoption = nil
                    job.status = .leased
                    job.lease = (peer, job.attempts, now + configuration.jobTimeout)
                    job.leasedAt = now
                    job.lastEpoch = nil
                    job.holders[job.attempts] = peer
                    jobs[jobID] = job
                    dispatchSequence += 1
                    worker.servedAt = dispatchSequence
                    worker.credits -= 1
                    worker.leases.insert(jobID)
                    workers[peer] = worker
                    actions.append(.journal(.dispatched(job: jobID, attempt: job.attempts, worker: worker.id, key: peer.key, time: now)))
                    actions.append(.send(peer, .job(Job(
                        key: JobKey(jobID: jobID, attempt: job.attempts), studyID: configuration.study, space: space.name,
                        encoding: job.proposal.encoding.parts.map(\.probabilities), architecture: job.architectureString,
                        evaluation: configuration.evaluator,
                        seed: jobSeed(jobID), timeout: configuration.jobTimeout))))
                    if worker.credits > 0 { next.append(peer) }
                }
                round = next
            }
            // Resting or quarantined workers stay in `ready` with their credit: they get jobs when that ends.
            ready = ready.filter { peer in workers[peer].map { $0.credits > 0 && !$0.draining && $0.excluded == nil } ?? false }
        }
        // Ask the strategy for more when workers have credit and nothing is queued (the credits are summed
        // only then: while a proposal is outstanding, every waiting worker is in `ready`).
        // Credit left now found no queued job it may take (the queue is empty, or what is there waits for
        // another key or for re-adoption): new proposals for it, so that no worker idles behind them.
        let committed = successes + leasedCount + queue.count
        guard !proposalOutstanding && committed < configuration.budget else { return actions }
        var credits = 0
        for peer in ready where canTakeJobs(peer, now: now) {
            credits += workers[peer]!.credits
        }
        if credits > 0 {
            proposalOutstanding = true
            let pending = active.sorted().compactMap { jobs[$0]?.proposal }
            actions.append(.propose(count: min(credits, configuration.budget - committed), pending: pending))
        }
        return actions
    }

    /// Whether `peer` should pass `jobID` by: its key failed the job and another key that could run it is
    /// connected.
    func avoids(_ jobID: UInt64, _ peer: PeerID, now: Double) -> Bool {
        guard let job = jobs[jobID], job.failures[peer.domain] != nil else { return false }
        if job.holdUntil.map({ now < $0 }) ?? false { return true }
        return now < job.avoidUntil && hasEligibleDomain(outside: Set(job.failures.keys))
    }

    /// The strategy's proposals for a `propose` action, already journaled with their job ids.
    mutating func proposalsArrived(_ proposals: [(job: UInt64, proposal: Proposal)], now: Double) -> [CoordinatorAction] {
        proposalOutstanding = false
        for (id, proposal) in proposals {
            jobs[id] = JobEntry(id: id, proposal: proposal, architectureString: space.format(proposal.architecture))
            if firstJobOfCell[jobs[id]!.architectureString] == nil { firstJobOfCell[jobs[id]!.architectureString] = id }
            queue.append(id)
            active.insert(id)
        }
        if proposals.isEmpty && leasedCount == 0 && queue.isEmpty && !finished {
            return finish(reason: "the search space is exhausted after \(successes) results")
        }
        return dispatch(now: now)
    }

    func jobSeed(_ jobID: UInt64) -> UInt64 {
        var z = (configuration.trainingSeed ?? configuration.seed) &+ jobID &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 31)
    }

    // MARK: Time

    mutating func tick(now: Double) -> [CoordinatorAction] {
        clock = max(clock, now)
        var actions = [CoordinatorAction]()
        for (peer, worker) in workers where now - worker.lastSeen > configuration.workerTimeout {
            for jobID in worker.leases {
                actions += releaseLease(jobID, reason: "worker \(worker.id) went silent", class: .transient, now: now)
            }
            removeWorker(peer)
        }
        actions += liftQuarantines(now: now)
        if let pending = pendingStop, now >= pending.deadline, abortReason == nil, !finished {
            if hasEligibleDomain(outside: pending.domains) {
                let extended = now + configuration.workerTimeout
                pendingStop?.deadline = extended  // another key is trying: its outcome decides
            } else {
                abortReason = pending.reason
                actions += finish(reason: pending.reason)
            }
        }
        let timeout = leaseTimeout
        for id in active.sorted() {
            guard let job = jobs[id], job.status == .leased, let lease = job.lease else { continue }
            // The default timeout (shorter than jobs.timeout once durations are known), unless its holder still
            // lists it in its heartbeats: then it keeps it up to jobs.timeout.
            guard min(lease.deadline, job.leasedAt + timeout) < now else { continue }
            if lease.deadline >= now, let holder = workers[lease.peer], now - holder.reportedAt <= 3 * configuration.heartbeatInterval,
               holder.reportedRunning.contains(JobKey(jobID: id, attempt: lease.attempt)) {
                continue
            }
            actions.append(.send(lease.peer, .cancel(JobCancel(key: JobKey(jobID: id, attempt: lease.attempt)))))
            let seconds = String(format: "%.0f", now - job.leasedAt)
            actions += releaseLease(id, reason: "timed out after \(seconds) s", class: .transient, now: now)
            actions += judge(lease.peer.domain, now: now)
        }
        for (peer, worker) in workers where now - worker.lastHeartbeatSent >= configuration.heartbeatInterval {
            workers[peer]?.lastHeartbeatSent = now
            let running = worker.leases.compactMap { id in jobs[id]?.lease.map { JobKey(jobID: id, attempt: $0.attempt) } }
            actions.append(.send(peer, .heartbeat(Heartbeat(sent: now, running: running.sorted()))))
        }
        actions += dispatch(now: now)
        return actions
    }

    mutating func workerUnreachable(_ reported: PeerID, now: Double) -> [CoordinatorAction] {
        // The socket names the routing id only: the welcomed peer answering it is the one meant.
        let peer = workers[reported] != nil ? reported : routes[reported.bytes] ?? reported
        guard let worker = workers[peer] else { return [] }
        var actions = [CoordinatorAction]()
        for jobID in worker.leases {
            actions += releaseLease(jobID, reason: "worker \(worker.id) unreachable", class: .transient, now: now)
        }
        removeWorker(peer)
        return actions + dispatch(now: now)
    }

    // MARK: Ending

    /// Stops dispatching (graceful shutdown): in-flight jobs may still report.
    mutating func beginStopping() { stopping = true }

    mutating func finish(reason: String) -> [CoordinatorAction] {
        guard !finished else { return [] }
        finished = true
        var actions = [CoordinatorAction]()
        for (peer, worker) in workers {
            for jobID in worker.leases {
                if let lease = jobs[jobID]?.lease {
                    actions.append(.send(peer, .cancel(JobCancel(key: JobKey(jobID: jobID, attempt: lease.attempt)))))
                }
            }
            actions.append(.send(peer, .shutdown(Shutdown(reason: reason))))
        }
        actions.append(.finished(reason: reason))
        return actions
    }
}

/// What the coordinator's state machine asks its runner to do.
enum CoordinatorAction {
    case send(PeerID, WireMessage)
    case journal(JournalRecord)
    /// Tell the strategy a job's final outcome (its record is a `.journal` action before this one).
    case observe(job: UInt64, attempt: Int, worker: String, proposal: Proposal, outcome: Outcome)
    /// Ask the strategy for proposals.
    case propose(count: Int, pending: [Proposal])
    case finished(reason: String)
    /// A worker was evicted for invalid messages (for the log).
    case evicted(worker: String, reason: String)
    /// A key's workers get no jobs for a while: their failure rate stands far above the others' (for the log).
    case quarantined(key: String, reason: String)

    enum Outcome {
        case result(Metrics)
        case failure(reason: String, class: FailureClass)
    }

    /// Whether this action journals a report (result or failure) of `key`.
    func journals(_ key: JobKey) -> Bool {
        switch self {
        case .journal(.result(let job, let attempt, _, _, _)), .journal(.failure(let job, let attempt, _, _, _, _, _)):
            job == key.jobID && attempt == key.attempt
        default: false
        }
    }
}

/// The software version announced in hello and welcome messages.
public enum ClusterVersion {
    public static let software = "anasod 0.1.0"
}
