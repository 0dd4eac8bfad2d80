import ANASOD
import Foundation
import Wire

/// Trust between the coordinator and many workers, one of which may be broken or hostile.
///
/// A trust domain is a key (`PeerID.domain`): every connection that authenticated with one CURVE key is one
/// party, whatever routing ids or worker ids it announces (Slurm arrays often share a key; per-node keys
/// make each node its own domain). Three rules keep one domain from deciding a study's fate:
/// - **Corroboration.** A failure is final for a cell (an `architecture` failure, or attempts used up), or
///   stops the study (a `configuration` failure before any result), only when a second domain reports the
///   same (for those two classes: the same class), or when no other connected domain could run the job.
///   Until then the job is re-queued for another domain. One worker, or every worker failing alike, still
///   stops fast.
/// - **Quarantine.** A domain whose recent failure rate stands far above the rest's gets no jobs for a
///   while (`judge`): at least `quarantineMinFailures` failures among its last `DomainEntry.window`
///   outcomes, at least half of them, and at least `quarantineRatio` times the others' rate (with a prior of
///   one failure and one success, so that it takes another domain's success to condemn it). Its leases are
///   re-queued, not charged. It is lifted after `DomainEntry.quarantineSeconds` (doubling each time).
/// - **Eviction.** `evictionThreshold` invalid messages evict the domain's worker for a cool-down
///   (30 s, doubling, at most 10 min); then it may say hello again, and the refusal says when.
extension CoordinatorState {
    struct DomainEntry {
        /// Outcomes remembered for the quarantine rule.
        static let window = 20
        static let quarantineSeconds = 600.0

        var strikes = 0
        var evictions = 0
        var evictedUntil = -Double.infinity
        var evictionReason: String?
        /// All results and charged failures of its leases.
        var results = 0
        var failures = 0
        /// The last `window` outcomes, true for a failure.
        var recent = [Bool]()
        var quarantines = 0
        var quarantinedUntil = -Double.infinity
        /// Why it gets no jobs, while quarantined.
        var quarantineReason: String?
        /// A key alone that has not succeeded yet and whose failures wait for another key's word gets no new
        /// jobs until then (`quarantineMinFailures` such failures at most per `workerTimeout`).
        var restUntil = -Double.infinity
        var heldFailures = 0

        static func coolDown(after evictions: Int) -> Double {
            min(600, 30 * pow(2, Double(max(0, evictions - 1))))
        }

        /// Records an outcome; returns the one it forgot (nil while the window is not full).
        mutating func note(failure: Bool) -> Bool? {
            recent.append(failure)
            if failure { failures += 1 } else { results += 1 }
            return recent.count > Self.window ? recent.removeFirst() : nil
        }
        var lastStrike = -Double.infinity

        var recentFailures: Int { recent.count { $0 } }
    }

    static let quarantineMinFailures = 5
    static let strikeMemory = 600.0
    static let quarantineRatio = 3.0

    /// Counts a refused message, and against its key when it has one.
    mutating func refuse(_ peer: PeerID, messages: Int = 1, _ count: (inout RefusalCounts) -> Void) {
        count(&refusals)
        if let key = peer.key { keyRefusals[key, default: 0] += messages }
    }

    /// Messages of `peer` its socket dropped undecoded (it sent more than its share): counted, and one strike
    /// per turn it overflowed, so that a steady flood ends in eviction.
    mutating func flooded(_ peer: PeerID, dropped: Int, now: Double) -> [CoordinatorAction] {
        refuse(peer, messages: dropped) { $0.flooded += dropped }
        guard workers[peer] != nil else { return [] }
        let strikes = addStrike(peer.domain, now: now)
        guard strikes >= Self.evictionThreshold else { return [] }
        return evict(peer, reason: "flooding (\(strikes) turns over its share)", now: now)
    }

    /// One more strike against `domain`; strikes older than `strikeMemory` seconds are forgotten (an honest
    /// worker's rare slip does not add up over a long study). Returns the count.
    mutating func addStrike(_ domain: String, now: Double) -> Int {
        var entry = domains[domain, default: DomainEntry()]
        if now - entry.lastStrike > Self.strikeMemory { entry.strikes = 0 }
        entry.strikes += 1
        entry.lastStrike = now
        domains[domain] = entry
        return entry.strikes
    }

    /// Records the outcome of one of `domain`'s leases, in its window and in the totals over all domains.
    mutating func noteOutcome(_ domain: String, failure: Bool) {
        var entry = domains[domain, default: DomainEntry()]
        let forgotten = entry.note(failure: failure)
        domains[domain] = entry
        recentOutcomesTotal += 1
        if failure { recentFailuresTotal += 1 }
        if let forgotten {
            recentOutcomesTotal -= 1
            if forgotten { recentFailuresTotal -= 1 }
        }
        if failure && entry.recentFailures >= Self.quarantineMinFailures { suspects.insert(domain) }
    }

    /// Forgets a worker (gone, evicted or unreachable); its leases must have been released.
    mutating func removeWorker(_ peer: PeerID) {
        workers.removeValue(forKey: peer)
        ready.remove(peer)
        if routes[peer.bytes] == peer { routes.removeValue(forKey: peer.bytes) }
    }

    /// Leases one worker may hold: what it announced, at most what the study allows.
    func capacity(of worker: WorkerEntry) -> Int {
        min(worker.slots, configuration.maxLeasesPerWorker)
    }

    func isQuarantined(_ domain: String) -> Bool { domains[domain]?.quarantineReason != nil }

    /// Whether `peer` may be given a job now.
    func canTakeJobs(_ peer: PeerID, now: Double) -> Bool {
        guard let worker = workers[peer] else { return false }
        return worker.credits > 0 && !worker.draining && worker.excluded == nil && !isQuarantined(worker.domain)
            && now >= (domains[worker.domain]?.restUntil ?? -Double.infinity)
    }

    /// Whether a connected worker of a domain not in `domains` could run jobs: not excluded, draining or
    /// quarantined, and working: it has credit or leases, or asked for work within `workerTimeout` (a peer that
    /// never asks is no one to wait for).
    func hasEligibleDomain(outside domains: Set<String>) -> Bool {
        workers.values.contains {
            !domains.contains($0.domain) && $0.excluded == nil && !$0.draining && !isQuarantined($0.domain)
                && ($0.credits > 0 || !$0.leases.isEmpty || clock - $0.askedAt <= configuration.workerTimeout)
        }
    }

    /// Whether a failure of class `failureClass` by `domain` on `jobID` is corroborated: another domain failed
    /// it too (with the same class, for `configuration` and `architecture`), or no other domain could try.
    func corroborates(_ jobID: UInt64, domain: String, class failureClass: FailureClass? = nil) -> Bool {
        guard let job = jobs[jobID] else { return true }
        let strict = failureClass == .configuration || failureClass == .architecture
        if job.failures.contains(where: { $0.key != domain && (!strict || $0.value == failureClass) }) { return true }
        return !hasEligibleDomain(outside: Set(job.failures.keys).union([domain]))
    }

    /// Whether another domain reported the same failure of `jobID` (the same class, for `configuration` and
    /// `architecture`).
    func corroboratedByAnotherKey(_ jobID: UInt64, domain: String, class failureClass: FailureClass) -> Bool {
        guard let job = jobs[jobID] else { return false }
        let strict = failureClass == .configuration || failureClass == .architecture
        return job.failures.contains { $0.key != domain && (!strict || $0.value == failureClass) }
    }

    /// The default lease timeout: the study's `jobs.timeout`, shortened once results are in to ten times the
    /// 90th percentile of lease durations (at least ten heartbeat intervals), so that leases a worker hoards
    /// without finishing come back in minutes, not hours.
    var leaseTimeout: Double {
        guard let p90 = durations.p90 else { return configuration.jobTimeout }
        return min(configuration.jobTimeout, max(10 * p90, 10 * configuration.heartbeatInterval))
    }

    /// Applies the quarantine rule to `domain` after one of its leases ended badly.
    mutating func judge(_ domain: String, now: Double) -> [CoordinatorAction] {
        guard var entry = domains[domain], entry.quarantineReason == nil else { return [] }
        let failed = entry.recentFailures
        let seen = entry.recent.count
        guard failed >= Self.quarantineMinFailures, 2 * failed >= seen else { return [] }
        let otherFailures = recentFailuresTotal - failed
        let otherOutcomes = recentOutcomesTotal - seen
        // Nobody else has succeeded yet: no evidence that this domain is worse than the rest.
        guard otherOutcomes - otherFailures >= 1 else { return [] }
        let rate = Double(failed) / Double(seen)
        let others = Double(otherFailures + 1) / Double(otherOutcomes + 2)
        guard rate >= Self.quarantineRatio * others, hasEligibleDomain(outside: [domain]) else { return [] }
        entry.quarantines += 1
        let seconds = min(3600, DomainEntry.quarantineSeconds * pow(2, Double(entry.quarantines - 1)))
        let reason = "failed \(failed) of its last \(seen) jobs (the other workers \(otherFailures) of \(otherOutcomes)); "
            + "no jobs for \(Int(seconds)) s"
        entry.quarantineReason = reason
        entry.quarantinedUntil = now + seconds
        domains[domain] = entry
        refusals.quarantinedWorkers += 1
        var actions: [CoordinatorAction] = [.journal(.note(worker: domain, message: "quarantined: " + reason, time: now)),
                                            .quarantined(key: domain, reason: reason)]
        for (peer, worker) in workers where worker.domain == domain {
            for jobID in worker.leases.sorted() {
                actions.append(.send(peer, .cancel(JobCancel(key: JobKey(jobID: jobID, attempt: jobs[jobID]?.lease?.attempt ?? 0)))))
                actions += releaseLease(jobID, reason: "worker \(worker.id) quarantined", class: .transient, retry: true,
                                        charge: false, now: now)
            }
        }
        return actions
    }

    /// Lifts quarantines whose time is up (their record starts afresh).
    mutating func liftQuarantines(now: Double) -> [CoordinatorAction] {
        var actions = [CoordinatorAction]()
        // Early when no other key is left to work: a quarantine must not stall the study.
        for (domain, entry) in domains where entry.quarantineReason != nil
            && (now >= entry.quarantinedUntil || !workers.values.contains { w in
                w.domain != domain && w.excluded == nil && !w.draining && !isQuarantined(w.domain) }) {
            domains[domain]?.quarantineReason = nil
            for failure in domains[domain]?.recent ?? [] {
                recentOutcomesTotal -= 1
                if failure { recentFailuresTotal -= 1 }
            }
            domains[domain]?.recent.removeAll()
            suspects.remove(domain)
            actions.append(.journal(.note(worker: domain, message: "quarantine lifted: it gets jobs again", time: now)))
        }
        return actions
    }

    /// Text a peer sent, fit for a log line or a journal note: at most `limit` characters, control characters
    /// replaced.
    static func clipped(_ text: String, limit: Int = 200) -> String {
        let cleaned = String(text.unicodeScalars.prefix(limit).map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return text.unicodeScalars.count > limit ? cleaned + "…" : cleaned
    }
}

/// Recent lease durations (dispatch to result, seconds) and their 90th percentile, recomputed every 16
/// results (a sort of at most `capacity` values).
struct LeaseDurations {
    static let capacity = 256
    static let minimum = 5
    private var values = [Double]()
    private var next = 0
    private var sinceComputed = 0
    private(set) var p90: Double?

    mutating func record(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        if values.count < Self.capacity { values.append(seconds) } else { values[next] = seconds }
        next = (next + 1) % Self.capacity
        sinceComputed += 1
        if values.count >= Self.minimum && (p90 == nil || sinceComputed >= 16) {
            sinceComputed = 0
            let sorted = values.sorted()
            p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
        }
    }
}
