import ANASOD
import Foundation
import Journal
import Logging
import Search
import Wire

/// A snapshot of a running or finished study.
public struct CoordinatorStatus: Sendable {
    public var study: String
    public var budget: Int
    public var successes: Int
    public var failed: Int
    public var running: Int
    public var queued: Int
    public var workers: Int
    public var best: (value: Double, architecture: String)?
    public var finished: Bool
    public var elapsed: Double
    /// Why the study stopped early with an error (evaluations kept failing), if it did.
    public var abortReason: String?
    /// Messages dropped because their sender had no right to send them, by kind.
    public var refusals: RefusalCounts = .init()
    /// The connected workers, by id.
    public var workerList: [WorkerSnapshot] = []
    /// The jobs leased now, by job id.
    public var leases: [LeaseSnapshot] = []
    /// Messages refused, by the name of the key that sent them (plain sockets have no keys).
    public var keyRefusals: [String: Int] = [:]
    /// Keys whose workers get no jobs for now, and why.
    public var quarantined: [String: String] = [:]
    /// Failures charged to each key's leases (those that count against a job's attempts), since the start.
    public var failuresByKey: [String: Int] = [:]
    /// Evaluations early stopping stopped (among `successes`).
    public var stopped: Int = 0
    /// The cell the strategy recommends (issue 26): its estimated validation error, its architecture and the
    /// results of it the strategy has seen; nil before the first. `best` is the best seen.
    public var recommended: (estimate: Double, architecture: String, runs: Int)? = nil
}

/// A connected worker as the coordinator sees it (for the dashboard and `anasod status`).
public struct WorkerSnapshot: Sendable, Codable, Equatable {
    public var id: String
    public var host: String
    public var slots: Int
    public var jobs: Int
    /// Seconds since its last message (its heartbeat).
    public var silentSeconds: Double
    /// What it evaluates: `trainer`, `external:gpu0`, `table`, ….
    public var evaluators: [String]
    /// Why it gets no more jobs, if it does not (draining, or excluded after failures).
    public var state: String
}

/// A job in flight.
public struct LeaseSnapshot: Sendable, Codable, Equatable {
    public var job: UInt64
    public var attempt: Int
    public var worker: String
    public var architecture: String
    /// The last epoch its worker reported (nil before the first).
    public var epoch: Int?
    /// Seconds until the lease expires unless renewed.
    public var secondsLeft: Double
}

/// Messages the coordinator dropped, by kind: the counters a harness or an operator compares with what was sent.
public struct RefusalCounts: Sendable, Equatable {
    /// Non-hello messages from peers never welcomed (or evicted).
    public var unwelcomed = 0
    /// Results, failures and progress for leases the sender does not hold.
    public var notLeaseHolder = 0
    /// Results or progress with values out of range.
    public var invalidValues = 0
    /// `held` claims that match no attempt awaiting re-adoption.
    public var refusedAdoptions = 0
    /// Undecodable frames.
    public var malformed = 0
    /// Workers evicted for invalid messages (or a revoked key).
    public var evictedWorkers = 0
    /// CURVE handshakes with a public key that is not in the allow-list.
    public var unknownKeys = 0
    /// Messages on connections whose key was revoked while they were open.
    public var revokedKeys = 0
    /// Handshakes that failed before a key was seen (no CURVE, the wrong coordinator key, garbage).
    public var failedHandshakes = 0
    /// Messages of a key under a routing id (a worker id) another key's worker held (squatting).
    public var takenIdentities = 0
    /// Messages dropped undecoded because their peer sent more than its share (a flood).
    public var flooded = 0
    /// Times a key was quarantined for failing far more often than the others (not messages).
    public var quarantinedWorkers = 0
    public init() {}

    /// Every message refused, all kinds together (evicted and quarantined workers are not messages and do not count).
    public var total: Int {
        unwelcomed + notLeaseHolder + invalidValues + refusedAdoptions + malformed + unknownKeys + revokedKeys + failedHandshakes
            + takenIdentities + flooded
    }
}

/// The search cluster's coordinator: binds the transport, runs `CoordinatorState` on one event-loop
/// thread, the strategy on another (`StrategyRunner`), journals everything before it is acted on, and
/// prints a progress line every `progressInterval` seconds.
public final class Coordinator: @unchecked Sendable {
    enum Event {
        case transport(ServerEvent, received: Double)
        case proposals(StrategyRunner.Call)
        case recommendation(StrategyRunner.Recommended)
        case stop
    }

    public let configuration: StudyConfiguration
    let journal: any Journal
    let transport: any ServerTransport
    let logger: Logger
    /// Counters, gauges and histograms of this study (served at the dashboard's `/metrics`).
    public let metrics: ClusterMetrics
    /// Per job in flight: the last epoch its worker reported, and for which attempt (for the dashboard).
    private var epochs = [UInt64: (attempt: Int, epoch: Int)]()
    /// Seconds between summary log lines (`.infinity`: none, when a terminal shows a progress bar).
    public var progressInterval: Double = 1
    /// Seconds between updates of `status` (what a progress bar or `anasod status` reads).
    public var statusInterval: Double = 0.5
    private var lastPublished = -Double.infinity
    private var loggedBest: Double?
    /// Seconds a graceful stop waits for running jobs.
    public var gracePeriod: Double = 10

    private var state: CoordinatorState
    private var runner: StrategyRunner!
    private let condition = NSCondition()
    private var events = [Event]()
    private let statusLock = NSLock()
    private var snapshot: CoordinatorStatus
    private let started = Date()
    private let clock: any ClusterClock
    private let watch = StatusWatch()
    /// Results waiting for their worker's next job: when the result arrived, and the observation count.
    private var awaitingJob = [PeerID: (received: Double, observations: Int)]()
    private var latencies = [(observations: Int, seconds: Double)]()
    /// Log lines driven by peers, at most a burst a second per kind (a flood must not fill the log).
    private var logLimiter = LogRateLimiter()

    /// For each result: the observations it made, and the seconds from its arrival until its worker was
    /// sent its next job (the coordinator's turnaround, GP included).
    public var resultToJobLatencies: [(observations: Int, seconds: Double)] { statusLock.withLock { latencies } }

    /// Prepares a study: a new one (the journal must be empty) or, with `resume`, the journal's own,
    /// rebuilt by replay. With `endWhenNoWorkerCanRun` (the machine's own workers, `anasod search`: no
    /// others will come), the study ends once every connected worker was excluded for failures that were
    /// its own (`data`), instead of waiting for workers.
    /// - Throws: `ClusterError` for a resume that does not match, `JournalError` for storage trouble.
    public init(configuration: StudyConfiguration, journal: any Journal, transport: any ServerTransport,
                resume: Bool, continueAfterFailures: Bool = false, allowConfigurationChange: Bool = false,
                endWhenNoWorkerCanRun: Bool = false, metrics: ClusterMetrics? = nil, clock: any ClusterClock = SystemClusterClock(),
                logger: Logger) throws {
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics ?? ClusterMetrics(study: configuration.study)
        self.journal = journal
        self.transport = transport
        self.logger = logger
        let space = configuration.space.space
        state = CoordinatorState(configuration: configuration, space: space)
        state.endWhenNoWorkerCanRun = endWhenNoWorkerCanRun
        var strategy: any SearchStrategy = LoggedStrategy(try configuration.makeStrategy(space: space), logger: logger)
        var calls = 0
        var observed = 0
        if let existing = try journal.study() {
            guard resume else {
                throw ClusterError(.resume, "journal '\(configuration.journal)' already holds study '\(existing.id)'; "
                                   + "pass --resume to continue it or choose another journal")
            }
            guard existing.id == configuration.study else {
                throw ClusterError(.resume, "journal holds study '\(existing.id)', not '\(configuration.study)'")
            }
            // The same search, or a change the user asked for (and that the journal then records).
            do {
                let changed = try configuration.resumeChanges(fromStored: existing.configuration, allowChange: allowConfigurationChange)
                if !changed.isEmpty {
                    guard allowConfigurationChange else {
                        throw ClusterError(.resume, "the configuration differs from the one study '\(existing.id)' ran with: "
                                           + changed.joined(separator: "; ") + ". Resume with the same settings, or pass "
                                           + "--allow-config-change to go on with the new ones (the journal records the change)")
                    }
                    logger.notice("resuming with a changed configuration: \(changed.joined(separator: "; "))")
                    try journal.amendConfiguration(configuration.journalText(amending: existing.configuration, changes: changed))
                }
            }
            let records = try journal.records()
            let replay = try state.restore(from: records, now: clock.now())
            if let reason = state.abortReason {
                guard continueAfterFailures else {
                    throw ClusterError(.stopped, "study '\(configuration.study)' stopped because \(reason); fix the cause, then "
                                       + "resume with --continue-after-failures")
                }
                logger.notice("continuing study \(configuration.study), which had stopped because \(reason)")
                state.continueAfterFailures()
            }
            strategy.replay(replay)
            calls = replay.filter { if case .proposed = $0 { true } else { false } }.count
            observed = replay.count - calls
            logger.info("resumed study \(configuration.study): \(state.successes) results kept, \(state.queue.count) jobs re-queued")
        } else {
            try journal.begin(StudyRecord(id: configuration.study, configuration: configuration.journalText,
                                          created: Date().timeIntervalSince1970))
        }
        snapshot = CoordinatorStatus(study: configuration.study, budget: configuration.budget, successes: 0, failed: 0,
                                     running: 0, queued: 0, workers: 0, best: nil, finished: false, elapsed: 0,
                                     abortReason: nil)
        runner = StrategyRunner(strategy: strategy, nextJobID: state.nextJobID, call: calls, observed: observed,
                                metrics: self.metrics, onProposals: { [weak self] in self?.post(.proposals($0)) },
                                onRecommendation: { [weak self] in self?.post(.recommendation($0)) })
    }

    func post(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Asks the coordinator to stop dispatching, wait up to `gracePeriod` for running jobs, flush and return.
    public func stop() { post(.stop) }

    public var status: CoordinatorStatus { statusLock.withLock { snapshot } }

    /// Returns once the coordinator listens and its loop runs (throws if the loop ended first).
    public func ready() async throws { try await watch.ready() }

    /// Waits until a published status meets `condition` (at once when the current one does) and returns it.
    /// - Throws: `ClusterError` after `timeout` seconds, or when the loop ends first.
    public func status(where condition: @escaping @Sendable (CoordinatorStatus) -> Bool, timeout: Double = 60) async throws
        -> CoordinatorStatus {
        try await watch.status(where: condition, timeout: timeout)
    }

    /// `run()` on a thread of its own (the event loop blocks; it must not hold a Swift-concurrency thread).
    public func runOnThread() async throws -> CoordinatorStatus {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { [self] in continuation.resume(with: Result { try run() }) }
            thread.name = "anasod.coordinator"
            thread.start()
        }
    }

    /// Runs until the budget is reached, the space is exhausted, or `stop()`; returns the final status.
    /// - Throws: `JournalError` when the journal cannot be written (the run stops; nothing acknowledged is lost).
    public func run() throws -> CoordinatorStatus {
        transport.start { [weak self] in self?.post(.transport($0, received: self?.clock.now() ?? 0)) }
        logger.info("coordinator for study \(configuration.study) listening on \(transport.endpoint)")
        defer {
            runner.stop()
            transport.close()
            watch.end(CoordinatorEnded())
        }
        watch.markReady()
        var lastProgress = 0.0
        var lastTick = -Double.infinity
        var stopDeadline: Double?
        var failure: Error?
        if state.finished { return publish(finished: true) }
        while failure == nil {
            condition.lock()
            if events.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(0.05)) }
            let batch = events
            events.removeAll()
            condition.unlock()
            let now = clock.now()
            var actions = [CoordinatorAction]()
            for event in batch {
                switch event {
                case .transport(.message(let peer, let message), let received):
                    // Only a lease holder's result starts a turnaround measurement (a stranger's would never end).
                    if case .result(let r) = message, state.holdsLease(r.key, peer: peer) {
                        awaitingJob[peer] = (received, state.successes + 1)
                    }
                    if case .hello(let hello) = message, hello.heldJobs.isEmpty, state.workers[peer] == nil,
                       logLimiter.allow("hello", now: now) {
                        // What the peer says about itself is clipped; its key name is what identifies it.
                        let devices = hello.devices.isEmpty ? "" : " on \(hello.devices.prefix(16).joined(separator: ", "))"
                        let text = "\(hello.slots) slot(s)\(devices), evaluators \(hello.evaluators.map(\.summary).joined(separator: ", "))"
                        logger.info("worker \(CoordinatorState.clipped(hello.workerID, limit: 64)) (key \(peer.key ?? "none"), host \(CoordinatorState.clipped(hello.host, limit: 64))) says hello: \(CoordinatorState.clipped(text))")
                    }
                    actions += state.handle(message, from: peer, now: now)
                case .transport(.rejected(let peer, let error), _):
                    let count = state.refusals.malformed + 1
                    // Rate-limited: the first ten, then every power of two (a flood must not fill the log).
                    if count <= 10 || count & (count - 1) == 0 {
                        logger.warning("rejected a message from \(peer): \(error.message) (\(count) rejected so far)")
                    }
                    actions += state.malformed(from: peer, now: now)
                    if error.code == .unsupportedVersion {
                        // In the peer's own envelope when it is older, so that it can read why it is refused.
                        let refusal = WireMessage.refusal(Refusal(reason: error.message))
                        if let version = error.peerVersion, version >= 1, version < WireProtocol.version {
                            transport.send(encoded: refusal.encoded(version: version), to: peer)
                        } else {
                            transport.send(refusal, to: peer)
                        }
                    }
                case .transport(.security(let refusal), _):
                    let count = state.refusals.unknownKeys + state.refusals.revokedKeys + state.refusals.failedHandshakes + 1
                    if count <= 10 || count & (count - 1) == 0 {
                        logger.warning("refused a connection from \(refusal.address): \(refusal.detail) (\(count) refused so far)")
                    }
                    actions += state.securityRefused(refusal, now: now)
                case .transport(.unreachable(let peer), _):
                    actions += state.workerUnreachable(peer, now: now)
                case .transport(.flooded(let peer, let dropped), _):
                    if logLimiter.allow("flood", now: now) {
                        logger.warning("dropped \(dropped) message(s) of the worker with key \(peer.key ?? peer.description): it sends more than its share (\(state.refusals.flooded + dropped) dropped so far)")
                    }
                    actions += state.flooded(peer, dropped: dropped, now: now)
                case .proposals(let call):
                    actions.append(.journal(proposedRecord(call)))
                    actions += state.proposalsArrived(call.jobs, now: now)
                case .recommendation(let r):
                    actions += state.recommended(r.recommendation, afterObservations: r.observed, afterCalls: r.calls, now: now)
                case .stop:
                    if stopDeadline == nil {
                        logger.notice("stopping: no new jobs; waiting up to \(gracePeriod) s for \(state.leasedCount) running")
                        state.beginStopping()
                        stopDeadline = now + gracePeriod
                    }
                }
            }
            // Timeouts and heartbeats look at every worker and lease: 100 times a second is often enough, and
            // a thousand workers' messages in between do not multiply the cost.
            if now - lastTick >= 0.01 {
                lastTick = now
                actions += state.tick(now: now)
            }
            if let deadline = stopDeadline, !state.finished, state.leasedCount == 0 || now >= deadline {
                actions += state.finish(reason: "the coordinator was stopped")
            }
            do {
                try execute(actions)
            } catch {
                failure = error
            }
            if now - lastProgress >= progressInterval {
                lastProgress = now
                lastPublished = now
                report()
            } else if now - lastPublished >= statusInterval {
                lastPublished = now
                publish(finished: state.finished)
            }
            if state.finished && failure == nil {
                // A propose call still under way is journaled as it ends: the journal holds the strategy's whole
                // history (its random stream advanced), and a resume with a larger budget replays it. So is the
                // recommendation after the last results (the study's answer).
                runner.stop()
                condition.lock()
                let late = events
                events.removeAll()
                condition.unlock()
                try journal.append(late.flatMap { event -> [JournalRecord] in
                    switch event {
                    case .proposals(let call): return [proposedRecord(call)]
                    case .recommendation(let r):
                        return state.recommended(r.recommendation, afterObservations: r.observed, afterCalls: r.calls, now: clock.now())
                            .compactMap { if case .journal(let record) = $0 { record } else { nil } }
                    default: return []
                    }
                })
                report()
                // The shutdown messages leave as the transport closes (`ZeroMQServer.close` waits for them).
                return publish(finished: true)
            }
        }
        throw failure!
    }

    /// A propose call's record: its jobs, and the observations the strategy had taken before it.
    private func proposedRecord(_ call: StrategyRunner.Call) -> JournalRecord {
        .proposed(call: call.call, jobs: call.jobs.map {
            .init(job: $0.job, architecture: state.space.format($0.proposal.architecture),
                  encoding: $0.proposal.encoding.parts.map(\.probabilities))
        }, observed: call.observed)
    }

    /// Does what the state machine asked, in three phases: the records are committed (one transaction), then
    /// the messages go out (acknowledgements of those records among them), then the strategy gets its work
    /// (observations of committed outcomes, propose calls), in order. Nothing is sent or observed that a
    /// crash could lose.
    private func execute(_ actions: [CoordinatorAction]) throws {
        var records = [JournalRecord]()
        var sends = [(PeerID, WireMessage)]()
        var strategyWork = [StrategyRunner.Work]()
        for action in actions {
            switch action {
            case .journal(let record):
                records.append(record)
                if case .progress(let job, let attempt, let p) = record { epochs[job] = (attempt, p.epoch) }
                switch record {
                case .failure(let job, let attempt, let worker, let reason, let failureClass, false, _):
                    metrics.retried.increment()
                    if logLimiter.allow("retry", now: clock.now()) {
                        logger.warning("job \(job) attempt \(attempt) on \(CoordinatorState.clipped(worker, limit: 64)) failed (\(failureClass?.rawValue ?? "transient")): \(CoordinatorState.clipped(reason, limit: 400)); re-queued")
                    }
                case .note(let worker, let message, _):
                    if logLimiter.allow("note", now: clock.now()) {
                        logger.warning("worker \(CoordinatorState.clipped(worker, limit: 64)): \(CoordinatorState.clipped(message, limit: 400))")
                    }
                default: break
                }
            case .send(let peer, let message):
                if case .refusal(let refusal) = message, !refusal.reason.hasPrefix("evicted"), logLimiter.allow("refusal", now: clock.now()) {
                    logger.warning("refused a worker (key \(peer.key ?? "none"), id \(peer)): \(CoordinatorState.clipped(refusal.reason, limit: 400))")
                }
                sends.append((peer, message))
            case .observe(let job, let attempt, let worker, let proposal, let outcome):
                let result: Metrics?
                switch outcome {
                case .result(let m):
                    result = m
                    let missing = state.outcomeLimits.missing(in: m)
                    if !missing.isEmpty, m.stoppedAtEpoch == nil, logLimiter.allow("unmeasured", now: clock.now()) {
                        logger.warning("job \(job)'s result on \(CoordinatorState.clipped(worker, limit: 64)) carries no \(missing.joined(separator: ", ")), which the study constrains: it counts as breaking the limit (does the trainer report it? cluster/TRAINER.md)")
                    }
                case .failure(let reason, let failureClass):
                    result = nil
                    logger.error("job \(job) failed for good (\(failureClass.rawValue)) after attempt \(attempt) on \(CoordinatorState.clipped(worker, limit: 64)): \(CoordinatorState.clipped(reason, limit: 400))")
                }
                strategyWork.append(.observe(CoordinatorState.observation(of: proposal, result: result,
                                                                          rungErrors: state.ladder?.errors(of: job) ?? [:])))
            case .propose(let count, let pending):
                strategyWork.append(.propose(count: count, pending: pending))
            case .evicted(let worker, let reason):
                if logLimiter.allow("evicted", now: clock.now()) {
                    logger.warning("evicted worker \(CoordinatorState.clipped(worker, limit: 64)): \(reason); its leases are re-queued")
                }
            case .quarantined(let key, let reason):
                logger.warning("quarantined key \(key): \(reason); its jobs are re-queued")
            case .finished(let reason):
                logger.notice("study \(configuration.study) finished: \(reason)")
            }
        }
        try journal.append(records)  // durable before anything is sent or observed
        for (peer, message) in sends {
            transport.send(message, to: peer)
            if case .job = message, let waiting = awaitingJob.removeValue(forKey: peer) {
                let sample = (waiting.observations, clock.now() - waiting.received)
                statusLock.withLock { latencies.append(sample) }
                metrics.resultToJob.recordNanoseconds(Int64(sample.1 * 1e9))
            }
        }
        runner.submit(strategyWork)
        _ = publish(finished: state.finished, lists: false)
    }

    /// Updates `status` (and the metrics). The per-worker and per-lease lists cost a look at every worker and
    /// lease: after each batch of actions (`lists: false`) the last ones are kept; they are rebuilt at
    /// `statusInterval`, each progress line and the end.
    @discardableResult
    private func publish(finished: Bool, lists: Bool = true) -> CoordinatorStatus {
        let best = state.best.flatMap { b in state.jobs[b.job].map { (b.value, $0.architectureString) } }
        let previous = lists ? nil : statusLock.withLock { (snapshot.workerList, snapshot.leases) }
        let s = CoordinatorStatus(study: configuration.study, budget: configuration.budget, successes: state.successes,
                                  failed: state.failedJobs, running: state.leasedCount, queued: state.queue.count,
                                  workers: state.workers.count, best: best, finished: finished,
                                  elapsed: Date().timeIntervalSince(started), abortReason: state.abortReason,
                                  refusals: state.refusals, workerList: previous?.0 ?? workerSnapshots(),
                                  leases: previous?.1 ?? leaseSnapshots(), keyRefusals: state.keyRefusals,
                                  quarantined: state.domains.compactMapValues(\.quarantineReason),
                                  failuresByKey: state.domains.compactMapValues { $0.failures > 0 ? $0.failures : nil },
                                  stopped: state.stoppedCount,
                                  recommended: state.recommendation.map { ($0.estimate, $0.architecture, $0.observations) })
        metrics.update(from: s)
        statusLock.withLock { snapshot = s }
        watch.publish(s)
        // An event worth a line in any mode: a new best.
        if let b = s.best, loggedBest.map({ b.value < $0 }) ?? true {
            loggedBest = b.value
            logger.info("new best \(String(format: "%.3f", b.value)) after \(s.successes) result(s): \(b.architecture)")
        }
        return s
    }

    private func workerSnapshots() -> [WorkerSnapshot] {
        let now = clock.now()
        return state.workers.values.map { w in
            WorkerSnapshot(id: w.id, host: w.host, slots: w.slots, jobs: w.leases.count, silentSeconds: max(0, now - w.lastSeen),
                           evaluators: w.capabilities.map { c in c.profiles.isEmpty ? c.kind.rawValue : c.kind.rawValue + ":" + c.profiles.joined(separator: ",") },
                           state: state.domains[w.domain]?.quarantineReason.map { "quarantined: " + $0 }
                               ?? w.excluded.map { "excluded: " + $0 } ?? (w.draining ? "draining" : "active"))
        }.sorted { $0.id < $1.id }
    }

    private func leaseSnapshots() -> [LeaseSnapshot] {
        let now = clock.now()
        if epochs.count > 2 * state.active.count + 64 { epochs = epochs.filter { state.active.contains($0.key) } }
        return state.active.compactMap { state.jobs[$0] }.compactMap { job in
            guard job.status == .leased, let lease = job.lease else { return nil }
            return LeaseSnapshot(job: job.id, attempt: lease.attempt, worker: state.workers[lease.peer]?.id ?? lease.peer.description,
                                 architecture: job.architectureString, epoch: epochs[job.id].flatMap { $0.attempt == lease.attempt ? $0.epoch : nil }, secondsLeft: lease.deadline - now)
        }.sorted { $0.job < $1.job }
    }

    private func report() {
        let s = publish(finished: state.finished)
        let rate = s.elapsed > 0 ? Double(s.successes) / s.elapsed : 0
        let best = s.best.map { String(format: "best %.3f %@", $0.value, $0.architecture) } ?? "best —"
        let shown = BestAndRecommended(s)
        let recommended = shown.recommendedText.map { " · " + $0 + (shown.sameCell ? "" : " " + shown.recommended!.architecture) } ?? ""
        logger.info("\(s.successes)/\(s.budget) evaluated · \(best)\(recommended) · workers \(s.workers) · running \(s.running) · queued \(s.queued) · failed \(s.failed) · \(String(format: "%.1f", rate))/s")
    }
}

/// At most `burst` log lines per kind in any `period` seconds; the lines beyond are counted and said in the
/// next line that passes ("N similar lines suppressed" is left to the counters: the refusal totals).
struct LogRateLimiter {
    var burst = 10
    var period = 1.0
    private var windows = [String: (start: Double, count: Int)]()

    mutating func allow(_ kind: String, now: Double) -> Bool {
        var window = windows[kind] ?? (now, 0)
        if now - window.start >= period { window = (now, 0) }
        window.count += 1
        windows[kind] = window
        return window.count <= burst
    }
}
