import ANASOD
import Evaluation
import Foundation
import Wire

/// N workers in one process, for measuring what one coordinator holds (`anasod simulate-workers`,
/// `anasod bench cluster --simulated-workers`). Each is a real connection (`DealerFleet`: its own DEALER,
/// identity and CURVE key pair) speaking the worker protocol of cluster/PROTOCOL.md — hello, request,
/// heartbeats both ways, a result and a request for each job, acknowledgements — with a zero-cost
/// evaluator: the synthetic error of the job's cell (`SyntheticEvaluator`), sent the moment the job arrives.
///
/// Three phases: connect (every member says hello until welcomed), idle (`idleSeconds` with everyone
/// connected and no work, to see heartbeats alone), load (every member asks for `slots` jobs; ends when the
/// coordinator shuts the workers down). It measures, on its own clock: how long until all were welcomed,
/// the result-to-next-job time each worker sees, and the delay of the coordinator's heartbeats.
public final class WorkerSimulator {
    public struct Settings: Sendable {
        public var endpoint: String
        public var identities: [String]
        public var security: [ClientSecurity]
        public var slots = 1
        public var idleSeconds = 3.0
        /// Seconds to wait for every member's welcome before the load starts anyway.
        public var connectTimeout = 60.0
        /// Seconds after which the load phase ends even without a shutdown.
        public var loadTimeout = 600.0
        public var ioThreads = 1
        /// Mean seconds a simulated evaluation takes (each drawn uniformly from 0.5–1.5 times it); 0: answered at
        /// once. N workers then offer about N / evaluationSeconds results per second: a load below what the
        /// coordinator can take shows its turnaround rather than its queue.
        public var evaluationSeconds = 0.0
        /// Fails every job with this class instead of evaluating it (a black hole, for chaos and trust checks);
        /// nil: evaluates.
        public var failEvery: FailureClass?

        public init(endpoint: String, identities: [String], security: [ClientSecurity]) {
            self.endpoint = endpoint
            self.identities = identities
            self.security = security
        }
    }

    /// What the simulator measured (written as JSON by `anasod simulate-workers --report`).
    public struct Report: Codable, Sendable, Equatable {
        public struct Distribution: Codable, Sendable, Equatable {
            public var count: Int
            public var p50: Double
            public var p99: Double
            public var max: Double

            /// Of `values` (nearest-rank percentiles; zeros when empty).
            public init(_ values: [Double]) {
                let sorted = values.sorted()
                count = sorted.count
                func rank(_ p: Double) -> Double {
                    sorted.isEmpty ? 0 : sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
                }
                p50 = rank(0.5)
                p99 = rank(0.99)
                self.max = sorted.last ?? 0
            }
        }

        public var workers: Int
        public var welcomed: Int
        /// Seconds from the first hello to the last welcome.
        public var connectSeconds: Double
        public var results: Int
        public var acknowledged: Int
        /// Seconds from the first job received to the last result sent.
        public var loadSeconds: Double
        /// Milliseconds from sending a result to receiving that worker's next job.
        public var resultToNextJobMs: Distribution
        /// Milliseconds by which the coordinator's heartbeats came later than its interval, with no work.
        public var idleHeartbeatDelayMs: Distribution
        /// The same under load.
        public var loadHeartbeatDelayMs: Distribution
        /// Heartbeat gaps longer than twice the interval (a worker that might be taken for lost).
        public var missedHeartbeats: Int
        public var refusals: [String]
        public var shutDown: Int
        public var undecodable: Int
        public var failedSends: Int
        /// CPU seconds of this process (the simulator's own cost, for comparison with the coordinator's).
        public var cpuSeconds: Double

        public var resultsPerSecond: Double { loadSeconds > 0 ? Double(results) / loadSeconds : 0 }
    }

    /// One member's measurements; its protocol is a `WorkerState` of its own.
    private struct Member {
        var lastCoordinatorHeartbeat: Double?
        /// When each result still waiting for its next job was sent (oldest first).
        var resultsSent = [Double]()
        var welcomed = false
        var refused = false
        /// Jobs cancelled while their simulated evaluation was under way.
        var cancelled = Set<JobKey>()
    }

    /// Simulated evaluations under way, earliest first (a binary heap).
    private struct DueResults {
        struct Entry {
            var time: Double
            var member: Int
            var key: JobKey
            var reply: WireMessage
        }
        private var heap = [Entry]()
        var peek: Entry? { heap.first }

        mutating func push(_ entry: Entry) {
            heap.append(entry)
            var i = heap.count - 1
            while i > 0, heap[(i - 1) / 2].time > heap[i].time {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }

        mutating func pop() -> Entry? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let top = heap.removeLast()
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, heap[l].time < heap[m].time { m = l }
                if r < heap.count, heap[r].time < heap[m].time { m = r }
                if m == i { return top }
                heap.swapAt(i, m)
                i = m
            }
        }
    }

    private enum Phase { case connect, idle, load }

    private let settings: Settings
    private let synthetic: [String: SyntheticEvaluator]

    public init(settings: Settings) {
        self.settings = settings
        var evaluators = [String: SyntheticEvaluator]()
        for space in SpaceName.allCases.map(\.space) {
            evaluators[space.name] = SyntheticEvaluator(space: space)
        }
        synthetic = evaluators
    }

    /// Connects, runs the three phases and returns what it measured.
    /// - Throws: `WireError` when the sockets cannot be made.
    public func run() throws -> Report {
        let fleet = try DealerFleet(connect: settings.endpoint, identities: settings.identities, security: settings.security,
                                    ioThreads: settings.ioThreads)
        defer { fleet.close() }
        let n = fleet.count
        let host = ProcessInfo.processInfo.hostName
        var members = [Member](repeating: Member(), count: n)
        // Each member speaks the worker protocol through its own state machine, as `Worker` does; it asks for
        // jobs only from the load phase on, and its heartbeats are staggered as independent workers' would be.
        var states = (0..<n).map { i in
            WorkerState(identity: .init(id: settings.identities[i], host: host, slots: settings.slots,
                                        capabilities: [Capability(kind: .synthetic)], requestsOnWelcome: false,
                                        heartbeatPhase: Double(i) / Double(n)))
        }
        let started = Self.clock()
        var phase = Phase.connect
        var phaseStarted = started
        var welcomedCount = 0
        var lastWelcome = started
        var results = 0
        var acknowledged = 0
        var shutDown = 0
        var refusals = [String]()
        var firstJob: Double?
        var lastResult = started
        var latencies = [Double]()
        var idleDelays = [Double]()
        var loadDelays = [Double]()
        var missed = 0
        let cpuStart = Self.cpuSeconds()
        var due = DueResults()
        var jitter: UInt64 = 0x5EED
        var lastScan = -Double.infinity

        /// Member `i`'s evaluation of `key` ended with `reply` (nil: cancelled): a new result is counted here, once
        /// (reports sent again after a reconnect are not new results).
        func finished(_ i: Int, _ key: JobKey, _ reply: WireMessage?, now: Double) -> [WorkerAction] {
            if case .result? = reply, states[i].running[key] != nil {
                members[i].resultsSent.append(now)
                results += 1
                lastResult = now
            }
            return states[i].jobEnded(key, report: reply, now: now)
        }

        /// Does what member `i`'s state machine asks: sends go out at once, jobs are "evaluated" now or later.
        func perform(_ i: Int, _ actions: [WorkerAction], now: Double) {
            var pending = actions[...]
            while let action = pending.popFirst() {
                switch action {
                case .send(let message):
                    fleet.send(message, from: i)
                case .start(let job):
                    let reply = evaluate(job)
                    if settings.evaluationSeconds > 0 {
                        jitter = jitter &* 6364136223846793005 &+ 1442695040888963407
                        let factor = 0.5 + Double(jitter >> 11) / Double(1 << 53)
                        due.push(.init(time: now + settings.evaluationSeconds * factor, member: i, key: job.key, reply: reply))
                    } else {
                        pending.append(contentsOf: finished(i, job.key, reply, now: now))
                    }
                case .cancel(let key):
                    if settings.evaluationSeconds > 0 { members[i].cancelled.insert(key) }
                case .end(.finished):
                    shutDown += 1
                case .end(.refused):
                    break  // said in `refusals` when it arrived
                case .keep, .discard, .loadKept, .log:
                    break  // nothing kept on disk; the members' logs would be a thousand copies of one line
                }
            }
        }

        for i in 0..<n { perform(i, states[i].start(now: started), now: started) }
        fleet.run(tickInterval: settings.evaluationSeconds > 0 ? 0.001 : 0.02, message: { i, message in
            let now = Self.clock()
            switch message {
            case .welcome:
                if !members[i].welcomed {
                    members[i].welcomed = true
                    welcomedCount += 1
                    lastWelcome = now
                }
            case .refusal(let refusal):
                if !members[i].refused {
                    members[i].refused = true
                    if refusals.count < 10 { refusals.append("\(settings.identities[i]): \(refusal.reason)") }
                }
            case .heartbeat:
                let interval = states[i].heartbeatInterval
                if let last = members[i].lastCoordinatorHeartbeat {
                    let gap = now - last
                    let delay = max(0, gap - interval) * 1000
                    if gap > 2 * interval { missed += 1 }
                    switch phase {
                    case .idle: idleDelays.append(delay)
                    case .load: loadDelays.append(delay)
                    case .connect: break
                    }
                }
                members[i].lastCoordinatorHeartbeat = now
            case .job:
                if firstJob == nil { firstJob = now }
                if !members[i].resultsSent.isEmpty { latencies.append((now - members[i].resultsSent.removeFirst()) * 1000) }
            case .ack(let ack):
                let before = states[i].unacknowledged.count
                defer { acknowledged += before - states[i].unacknowledged.count }
                perform(i, states[i].receive(.ack(ack), now: now), now: now)
                return
            default:
                break
            }
            perform(i, states[i].receive(message, now: now), now: now)
        }, tick: {
            var now = Self.clock()
            while let next = due.peek, next.time <= now {
                _ = due.pop()
                // A job cancelled (or shut down) while it "ran" is not answered.
                let cancelled = members[next.member].cancelled.remove(next.key) != nil
                perform(next.member, finished(next.member, next.key, cancelled ? nil : next.reply, now: now), now: now)
                now = Self.clock()
            }
            guard now - lastScan >= 0.02 else { return true }
            lastScan = now
            var live = 0
            for i in 0..<n where states[i].ended == nil {
                perform(i, states[i].tick(now: now), now: now)
                // A refused member (even one told to come back later) no longer counts, as before the state
                // machine: the run does not wait out an eviction's cool-down.
                if !members[i].refused { live += 1 }
            }
            switch phase {
            case .connect:
                if welcomedCount == 0 && now - phaseStarted >= settings.connectTimeout { return false }  // nobody is there
                if welcomedCount == n || now - phaseStarted >= settings.connectTimeout || live == 0 {
                    phase = .idle
                    phaseStarted = now
                }
            case .idle:
                if now - phaseStarted >= settings.idleSeconds {
                    phase = .load
                    phaseStarted = now
                    for i in 0..<n { perform(i, states[i].beginRequesting(), now: now) }
                }
            case .load:
                if live == 0 || now - phaseStarted >= settings.loadTimeout { return false }
            }
            return true
        })
        return Report(workers: n, welcomed: welcomedCount, connectSeconds: lastWelcome - started, results: results,
                      acknowledged: acknowledged, loadSeconds: firstJob.map { lastResult - $0 } ?? 0,
                      resultToNextJobMs: .init(latencies), idleHeartbeatDelayMs: .init(idleDelays),
                      loadHeartbeatDelayMs: .init(loadDelays), missedHeartbeats: missed, refusals: refusals,
                      shutDown: shutDown, undecodable: fleet.undecodable, failedSends: fleet.failedSends,
                      cpuSeconds: Self.cpuSeconds() - cpuStart)
    }

    /// The zero-cost evaluation of a job: its cell's synthetic error, or the failure the settings ask for.
    private func evaluate(_ job: Job) -> WireMessage {
        if let failureClass = settings.failEvery {
            return .failure(JobFailure(key: job.key, reason: "simulated \(failureClass.rawValue) failure", class: failureClass))
        }
        guard let evaluator = synthetic[job.space], let architecture = try? evaluator.space.parse(job.architecture) else {
            return .failure(JobFailure(key: job.key, reason: "the simulator cannot read '\(job.architecture)' of space \(job.space)",
                                       class: .configuration))
        }
        let error = evaluator.error(of: architecture)
        return .result(JobResult(key: job.key, metrics: Metrics(validationError: error, testError: error)))
    }

    static func clock() -> Double { ProcessInfo.processInfo.systemUptime }

    /// User plus system CPU seconds of this process.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    #if canImport(Glibc)
    private static let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let RUSAGE_SELF_VALUE = RUSAGE_SELF
    #endif
}
