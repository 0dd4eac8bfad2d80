import ANASOD
import Foundation
import Logging
import Wire

/// The worker side of the protocol (cluster/PROTOCOL.md) as a pure state machine: messages from the
/// coordinator, the passing of time (`now`, in seconds on a monotonic clock) and the ends of evaluations go
/// in; what to send, start, cancel, keep on disk and log comes out. It owns no thread, socket or task, so
/// `Worker` (real evaluations) and `WorkerSimulator` (a thousand zero-cost members on one thread) run the
/// same protocol, and tests drive it without either.
///
/// What it keeps: whether the coordinator has welcomed this worker, when to say hello again (backoff
/// 0.5 s doubling to 5 s, or a refusal's `retry_after`), the heartbeat schedule, the jobs running, and
/// every report (result or failure) sent but not yet acknowledged: those are sent again after each welcome
/// and announced as held, so that a coordinator restart loses none of them.
public struct WorkerState: Sendable {
    /// Who the worker says it is, and how it behaves.
    public struct Identity: Sendable {
        public var id: String
        public var host: String
        public var slots: Int
        public var devices: [String]
        public var capabilities: [Capability]
        public var software: String
        /// Reports of external-trainer jobs are kept on disk until acknowledged (`WorkerAction.keep`).
        public var keepsReports: Bool
        /// Whether the worker asks for jobs once welcomed; when false it waits for `beginRequesting`
        /// (the simulator's idle phase).
        public var requestsOnWelcome: Bool
        /// Where in its heartbeat interval this worker's heartbeats fall, as a fraction of it (a fleet of
        /// simulated workers staggers them, as independent processes would).
        public var heartbeatPhase: Double

        public init(id: String, host: String, slots: Int, devices: [String] = [], capabilities: [Capability],
                    software: String = ClusterVersion.software, keepsReports: Bool = false, requestsOnWelcome: Bool = true,
                    heartbeatPhase: Double = 0) {
            self.id = id
            self.host = host
            self.slots = max(1, slots)
            self.devices = devices
            self.capabilities = capabilities
            self.software = software
            self.keepsReports = keepsReports
            self.requestsOnWelcome = requestsOnWelcome
            self.heartbeatPhase = min(max(heartbeatPhase, 0), 1)
        }
    }

    /// Why the worker ended.
    public enum Ending: Sendable, Equatable {
        /// The coordinator said `shutdown` (its reason), or a drain completed (`drained`).
        case finished(String)
        /// The coordinator refused this worker for good (its reason).
        case refused(String)
    }

    public let identity: Identity
    /// Seconds a drained worker waits for its last acknowledgements.
    public var ackWait = 10.0
    /// The shortest pause before a hello is said again, and the longest the backoff grows to.
    static let helloBackoff = (first: 0.5, most: 5.0)

    public private(set) var welcomed = false
    public private(set) var draining = false
    public private(set) var ended: Ending?
    /// Results this worker produced (for logs and tests).
    public private(set) var completed = 0
    /// The jobs running now, with the study each belongs to and whether its report is kept on disk.
    public private(set) var running = [JobKey: (study: String, kept: Bool)]()
    /// Reports sent but not acknowledged.
    public private(set) var unacknowledged = [JobKey: WireMessage]()
    /// Seconds between heartbeats, as the coordinator's welcome set it.
    public private(set) var heartbeatInterval = 1.0
    private var lastHeard = 0.0
    private var nextHeartbeat = 0.0
    private var lastHello = -Double.infinity
    private var helloPause = WorkerState.helloBackoff.first
    private var requesting: Bool
    /// Unacknowledged reports also kept on disk, with their study.
    private var kept = [JobKey: String]()
    /// Waiting for `keptReportsLoaded` after the first welcome (the rest of that welcome waits too).
    private var loadingKept = false
    private var loadedKept = false
    /// When a drain found no job running: it ends once every report is acknowledged, or `ackWait` later.
    private var drainedAt: Double?
    private var securityFailures = 0

    public init(identity: Identity) {
        self.identity = identity
        requesting = identity.requestsOnWelcome
    }

    // MARK: Inputs

    /// The first hello.
    public mutating func start(now: Double) -> [WorkerAction] {
        guard ended == nil else { return [] }
        return [hello(now: now)]
    }

    /// Time passes: hellos until welcomed, heartbeats, a silent coordinator greeted again, a drain's end.
    public mutating func tick(now: Double) -> [WorkerAction] {
        guard ended == nil else { return [] }
        var actions = [WorkerAction]()
        if draining { finishDrainIfDone(now: now, &actions) }
        guard ended == nil else { return actions }
        if !welcomed {
            if now - lastHello >= helloPause {
                helloPause = min(helloPause * 2, Self.helloBackoff.most)
                actions.append(hello(now: now))
            }
            return actions
        }
        if now >= nextHeartbeat {
            nextHeartbeat = now + heartbeatInterval
            actions.append(.send(.heartbeat(Heartbeat(sent: now, running: running.keys.sorted()))))
        }
        if now - lastHeard > max(3 * heartbeatInterval, 3) {
            actions.append(.log(.warning, "coordinator silent for \(Self.seconds(now - lastHeard)) s; saying hello again"))
            welcomed = false
            helloPause = Self.helloBackoff.first
            actions.append(hello(now: now))
        }
        return actions
    }

    /// A message from the coordinator.
    public mutating func receive(_ message: WireMessage, now: Double) -> [WorkerAction] {
        guard ended == nil else { return [] }
        lastHeard = now
        var actions = [WorkerAction]()
        switch message {
        case .welcome(let welcome):
            let first = !welcomed
            welcomed = true
            helloPause = Self.helloBackoff.first
            heartbeatInterval = welcome.heartbeatInterval
            guard first else { break }
            nextHeartbeat = now + heartbeatInterval * identity.heartbeatPhase
            actions.append(.log(.info, "joined study \(welcome.studyID) with \(identity.slots) slot(s)"))
            if identity.keepsReports && !loadedKept {
                // What a previous worker process kept comes first: the rest of the welcome waits for it.
                loadingKept = true
                actions.append(.loadKept(study: welcome.studyID))
            } else {
                rejoin(&actions)
            }
        case .refusal(let refusal):
            guard let retry = refusal.retryAfter else {
                // A refusal that stands: this worker cannot run the study.
                end(.refused(refusal.reason), &actions)
                break
            }
            // A refusal that passes (an eviction's cool-down, a key revoked and restored): hello again later,
            // until the coordinator says `shutdown`.
            actions.append(.log(.warning, "the coordinator refused this worker for now: \(refusal.reason); "
                                + "saying hello again in \(Self.seconds(retry, digits: 0)) s"))
            welcomed = false
            lastHello = now
            helloPause = max(retry, Self.helloBackoff.first)
        case .job(let job):
            start(job, &actions)
        case .cancel(let cancel):
            if running[cancel.key] != nil { actions.append(.cancel(cancel.key)) }
            forget(cancel.key, &actions)  // its lease moved on: the report is not wanted
            finishDrainIfDone(now: now, &actions)
        case .ack(let ack):
            for key in ack.keys where unacknowledged[key] != nil {
                forget(key, &actions)
                actions.append(.log(.debug, "acknowledged job \(key.jobID) attempt \(key.attempt)"))
            }
            finishDrainIfDone(now: now, &actions)
        case .shutdown(let shutdown):
            actions.append(.log(.info, "coordinator shut the worker down: \(shutdown.reason)"))
            end(.finished(shutdown.reason), &actions)
        case .drain(let drain):
            draining = true
            actions.append(.log(.notice, "coordinator asked to drain: \(drain.reason)"))
            finishDrainIfDone(now: now, &actions)
        case .heartbeat, .hello, .request, .progress, .result, .failure:
            break
        }
        return actions
    }

    /// A message from the coordinator that did not decode. A job this worker cannot read is that job's
    /// failure, not a lease left to time out.
    public mutating func rejected(job key: JobKey?, reason: String, now: Double) -> [WorkerAction] {
        guard ended == nil else { return [] }
        var actions: [WorkerAction] = [.log(.warning, "rejected a message from the coordinator: \(reason)")]
        if let key, running[key] == nil, unacknowledged[key] == nil {
            report(.failure(JobFailure(key: key, reason: "worker \(identity.id) cannot read this job: \(reason)",
                                       class: .configuration)), study: nil, &actions)
            if welcomed && !draining && requesting { actions.append(.send(.request(JobRequest(slots: 1)))) }
        }
        return actions
    }

    /// A CURVE handshake failed. ZeroMQ keeps reconnecting (and the key may be admitted later): said once,
    /// then at powers of two.
    public mutating func securityFailed(_ reason: String) -> [WorkerAction] {
        securityFailures += 1
        guard securityFailures & (securityFailures - 1) == 0 else { return [] }
        return [.log(.error, "\(reason) (\(securityFailures) time(s); still trying)")]
    }

    /// A job started by `.start` ended: its report (nil when it was cancelled), whether its evaluation had started
    /// (a job that could not start has no report to keep on disk), and whether its slot is free for another job
    /// (false for a job this worker had no room for, which never held a slot).
    public mutating func jobEnded(_ key: JobKey, report message: WireMessage?, now: Double, started: Bool = true,
                                  freesSlot: Bool = true) -> [WorkerAction] {
        guard ended == nil, let job = running.removeValue(forKey: key) else { return [] }
        var actions = [WorkerAction]()
        if let message {
            report(message, study: job.kept && started ? job.study : nil, &actions)
            if case .result = message { completed += 1 }
        }
        if draining {
            finishDrainIfDone(now: now, &actions)
        } else if welcomed && freesSlot && requesting {
            actions.append(.send(.request(JobRequest(slots: 1))))
        }
        return actions
    }

    /// The answer to `.keep`: the report could not be written to disk; it lives in memory only.
    public mutating func reportNotKept(_ key: JobKey, error: String) -> [WorkerAction] {
        kept[key] = nil
        return [.log(.warning, "cannot keep the report of job \(key.jobID) on disk (\(error)); it is kept in memory only")]
    }

    /// The answer to `.loadKept`: the reports a previous worker process with this work folder sent but never
    /// saw acknowledged, and the files set aside as unreadable. Finishes the first welcome.
    public mutating func keptReportsLoaded(_ reports: [JobKey: WireMessage], study: String, unreadable: [String],
                                           now: Double) -> [WorkerAction] {
        guard ended == nil, loadingKept else { return [] }
        loadingKept = false
        loadedKept = true
        var actions = unreadable.map { WorkerAction.log(.warning, "set aside an unreadable kept report: \($0).bad") }
        var picked = 0
        for (key, message) in reports where unacknowledged[key] == nil && running[key] == nil {
            unacknowledged[key] = message
            kept[key] = study
            picked += 1
        }
        if picked > 0 { actions.append(.log(.notice, "sending again \(picked) report(s) a previous worker kept")) }
        if welcomed { rejoin(&actions) }
        return actions
    }

    /// Stops asking for jobs, tells the coordinator, and ends once the running jobs are done.
    public mutating func drain(reason: String, now: Double) -> [WorkerAction] {
        guard ended == nil, !draining else { return [] }
        draining = true
        var actions: [WorkerAction] = [.log(.notice, "draining: \(running.count) job(s) still running"),
                                       .send(.drain(Drain(reason: reason)))]
        finishDrainIfDone(now: now, &actions)
        return actions
    }

    /// Starts asking for jobs (a worker made with `requestsOnWelcome: false`).
    public mutating func beginRequesting() -> [WorkerAction] {
        guard ended == nil, !requesting else { return [] }
        requesting = true
        let free = identity.slots - running.count
        guard welcomed, !draining, !loadingKept, free > 0 else { return [] }
        return [.send(.request(JobRequest(slots: free)))]
    }

    // MARK: Steps

    private mutating func hello(now: Double) -> WorkerAction {
        lastHello = now
        return .send(.hello(Hello(workerID: identity.id, host: identity.host, slots: identity.slots, devices: identity.devices,
                                  evaluators: identity.capabilities, software: identity.software,
                                  heldJobs: Set(running.keys).union(unacknowledged.keys).sorted(),
                                  features: Hello.supportedFeatures)))
    }

    /// After a first welcome: reports the coordinator may not have are sent again (it acknowledges those it
    /// already has), and the free slots are asked for.
    private func rejoin(_ actions: inout [WorkerAction]) {
        for key in unacknowledged.keys.sorted() { actions.append(.send(unacknowledged[key]!)) }
        let free = identity.slots - running.count
        if free > 0 && !draining && requesting { actions.append(.send(.request(JobRequest(slots: free)))) }
    }

    private mutating func start(_ job: Job, _ actions: inout [WorkerAction]) {
        guard running[job.key] == nil else { return }
        if let done = unacknowledged[job.key] {  // finished already: the report again, not the work
            actions.append(.send(done))
            return
        }
        running[job.key] = (job.studyID, identity.keepsReports && job.evaluation.kind == .external)
        actions.append(.start(job))
    }

    /// Sends a job's result or failure and keeps it until the coordinator acknowledges it: in memory, and
    /// with a `study` (an external trainer's job) on disk too.
    private mutating func report(_ message: WireMessage, study: String?, _ actions: inout [WorkerAction]) {
        guard let key = message.reportKey else {
            actions.append(.send(message))
            return
        }
        unacknowledged[key] = message
        actions.append(.log(.debug, "sent report of job \(key.jobID) attempt \(key.attempt)"))
        if let study {
            kept[key] = study
            actions.append(.keep(message, study: study, key: key))
        }
        actions.append(.send(message))
    }

    /// Forgets a report: acknowledged, or its lease moved on.
    private mutating func forget(_ key: JobKey, _ actions: inout [WorkerAction]) {
        unacknowledged[key] = nil
        if let study = kept.removeValue(forKey: key) { actions.append(.discard(study: study, key: key)) }
    }

    /// A drain ends when no job runs and every report is acknowledged (or `ackWait` seconds after the last job).
    private mutating func finishDrainIfDone(now: Double, _ actions: inout [WorkerAction]) {
        guard draining, running.isEmpty, ended == nil else { return }
        if drainedAt == nil { drainedAt = now }
        if unacknowledged.isEmpty || !welcomed {  // nothing to wait for, or no coordinator to wait on
            end(.finished("drained"), &actions)
        } else if now - drainedAt! >= ackWait {
            actions.append(.log(.warning, "drained with \(unacknowledged.count) report(s) the coordinator never acknowledged"))
            end(.finished("drained"), &actions)
        }
    }

    private mutating func end(_ ending: Ending, _ actions: inout [WorkerAction]) {
        ended = ending
        for key in running.keys.sorted() { actions.append(.cancel(key)) }
        actions.append(.end(ending))
    }

    private static func seconds(_ value: Double, digits: Int = 1) -> String {
        String(format: "%.\(digits)f", value)
    }
}

/// What `WorkerState` asks its runtime to do, in order.
public enum WorkerAction: Sendable, Equatable {
    case send(WireMessage)
    /// Run this job's evaluation; its end goes back in through `jobEnded`.
    case start(Job)
    /// Stop this job's evaluation (its lease moved on, or the worker ends); `jobEnded` follows with no report.
    case cancel(JobKey)
    /// Keep this report on disk until `.discard` (an external trainer's job); a failure goes back in through
    /// `reportNotKept`.
    case keep(WireMessage, study: String, key: JobKey)
    case discard(study: String, key: JobKey)
    /// Read the reports a previous worker process kept for `study`; they go back in through `keptReportsLoaded`.
    case loadKept(study: String)
    case log(Logger.Level, String)
    /// The worker is over: cancel what runs, close the connection.
    case end(WorkerState.Ending)
}

extension WireMessage {
    /// The job a result or failure reports on (nil for every other message).
    public var reportKey: JobKey? {
        switch self {
        case .result(let r): r.key
        case .failure(let f): f.key
        default: nil
        }
    }
}
