import ANASOD
import Evaluation
import Foundation
import Logging
import Wire

/// A worker's identity and capacity.
public struct WorkerConfiguration: Sendable {
    public var id: String
    public var host: String
    public var slots: Int
    /// What the worker announces about its devices (`cuda:0 NVIDIA H200`, …).
    public var devices: [String]
    /// GPU slots: one job per GPU, each job's process sees only its GPU (`CUDA_VISIBLE_DEVICES`).
    public var gpus: [GPU]

    public init(id: String, host: String = ProcessInfo.processInfo.hostName, slots: Int, devices: [String] = []) {
        self.id = id
        self.host = host
        self.slots = max(1, slots)
        self.devices = devices
        gpus = []
    }

    /// One slot per GPU, announced by name.
    public init(id: String, host: String = ProcessInfo.processInfo.hostName, gpus: [GPU]) {
        precondition(!gpus.isEmpty, "a GPU worker needs at least one GPU")
        self.id = id
        self.host = host
        slots = gpus.count
        devices = gpus.map(\.announcement)
        self.gpus = gpus
    }
}

/// A worker: says hello, asks for as many jobs as it has free slots, runs each job in its own task with
/// an `Evaluator`, streams progress, and reports results or failures. Heartbeats go out every interval;
/// when the coordinator falls silent for 3 intervals the worker says hello again (with backoff up to 5 s),
/// re-announcing the jobs it still runs. It ends on `shutdown`, or after `drain()` once its jobs are done.
public final class Worker: @unchecked Sendable {
    public let configuration: WorkerConfiguration
    let transport: any ClientTransport
    let evaluators: any EvaluatorProvider
    let logger: Logger
    /// Where reports of external-trainer jobs wait on disk for their acknowledgement (nil: memory only).
    let reportStore: ReportStore?

    private let queue = DispatchQueue(label: "anasod.worker")
    private var running = [JobKey: Task<Void, Never>]()
    /// The GPU each running job holds (GPU workers only).
    private var heldGPUs = [JobKey: String]()
    private var welcomed = false
    private var draining = false
    private var heartbeatInterval = 1.0
    private var lastHeard = 0.0
    private var lastHeartbeat = 0.0
    private var lastHello = 0.0
    private var helloBackoff = 0.5
    private var securityFailures = 0
    /// Results and failures sent but not yet acknowledged (committed by the coordinator): sent again after
    /// every welcome, and announced as held, so that a coordinator restart loses none of them.
    private var unacked = [JobKey: WireMessage]()
    /// Unacknowledged reports also kept in `reportStore` (external-trainer jobs), with their study.
    private var stored = [JobKey: String]()
    /// The jobs that run an external trainer (their reports go to disk).
    private var externalJobs = [JobKey: String]()
    /// Whether the reports a previous worker process left on disk were picked up (at the first welcome).
    private var loadedStoredReports = false
    /// When a drain found no job running: it ends once every report is acknowledged, or `ackWait` later.
    private var drainedAt: Double?
    /// Seconds a drained worker waits for its last acknowledgements.
    public var ackWait = 10.0
    private var finish: ((Result<String, Error>) -> Void)?
    private var timer: DispatchSourceTimer?
    /// Jobs completed by this worker (for logs and tests).
    public private(set) var completed = 0

    public init(configuration: WorkerConfiguration, transport: any ClientTransport, evaluators: any EvaluatorProvider,
                reportStore: ReportStore? = nil, logger: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.evaluators = evaluators
        self.reportStore = reportStore
        self.logger = logger
    }

    /// Runs until the coordinator shuts the worker down or a drain completes; returns the reason.
    /// - Throws: `ClusterError` when the coordinator refuses this worker.
    public func run() async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, Error>) in
            queue.async { [self] in
                finish = { result in continuation.resume(with: result) }
                transport.start { [weak self] event in
                    guard let worker = self else { return }
                    worker.queue.async { worker.handle(event) }
                }
                sayHello(now: Self.clock())
                let timer = DispatchSource.makeTimerSource(queue: queue)
                timer.schedule(deadline: .now() + 0.1, repeating: 0.1)
                timer.setEventHandler { [weak self] in self?.tick() }
                timer.resume()
                self.timer = timer
            }
        }
    }

    /// Stops asking for jobs, tells the coordinator, and ends once the running jobs are done.
    public func drain(reason: String = "drain requested") {
        queue.async { [self] in
            guard !draining else { return }
            draining = true
            logger.notice("draining: \(running.count) job(s) still running")
            transport.send(.drain(Drain(reason: reason)))
            finishDrainIfDone()
        }
    }

    private func end(_ result: Result<String, Error>) {
        guard let finish else { return }
        self.finish = nil
        timer?.cancel()
        let tasks = Array(running.values)
        for task in tasks { task.cancel() }
        running.removeAll()
        heldGPUs.removeAll()
        transport.close()
        // Cancelled jobs tear down what they started (an external trainer's process group) before the
        // worker reports that it has ended, so no trainer outlives its worker.
        Task {
            for task in tasks { await task.value }
            finish(result)
        }
    }

    private func sayHello(now: Double) {
        lastHello = now
        transport.send(.hello(Hello(workerID: configuration.id, host: configuration.host, slots: configuration.slots,
                                    devices: configuration.devices, evaluators: evaluators.capabilities,
                                    software: ClusterVersion.software, heldJobs: Set(running.keys).union(unacked.keys).sorted())))
    }

    /// Seconds on a monotonic clock: heartbeats and silences are measured on it, never on the wall clock.
    static func clock() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Sends a job's result or failure and keeps it until the coordinator acknowledges it: in memory, and
    /// for an external trainer's job on disk too, in its job folder (a restarted worker sends it again).
    private func report(_ message: WireMessage) {
        let key: JobKey
        switch message {
        case .result(let r): key = r.key
        case .failure(let f): key = f.key
        default:
            transport.send(message)
            return
        }
        unacked[key] = message
        logger.debug("sent report of job \(key.jobID) attempt \(key.attempt)")
        if let study = externalJobs.removeValue(forKey: key), let reportStore {
            do {
                try reportStore.save(message, study: study, key: key)
                stored[key] = study
            } catch {
                logger.warning("cannot keep the report of job \(key.jobID) on disk (\(error)); it is kept in memory only")
            }
        }
        transport.send(message)
    }

    /// Forgets a report: acknowledged, or its lease moved on.
    private func forget(_ key: JobKey) {
        unacked[key] = nil
        if let study = stored.removeValue(forKey: key) { reportStore?.remove(study: study, key: key) }
    }

    /// The reports a previous worker process with this work folder sent but never saw acknowledged.
    private func loadStoredReports(study: String) {
        guard let reportStore, !loadedStoredReports else { return }
        loadedStoredReports = true
        let (reports, problems) = reportStore.load(study: study)
        for file in problems { logger.warning("set aside an unreadable kept report: \(file).bad") }
        var picked = 0
        for (key, message) in reports where unacked[key] == nil && running[key] == nil {
            unacked[key] = message
            stored[key] = study
            picked += 1
        }
        if picked > 0 { logger.notice("sending again \(picked) report(s) a previous worker kept in \(reportStore.workDirectory)") }
    }

    /// A drain ends when no job runs and every report is acknowledged (or `ackWait` seconds after the last job).
    private func finishDrainIfDone() {
        guard draining, running.isEmpty else { return }
        let now = Self.clock()
        if drainedAt == nil { drainedAt = now }
        if unacked.isEmpty || !welcomed {  // nothing to wait for, or no coordinator to wait on
            end(.success("drained"))
        } else if now - drainedAt! >= ackWait {
            logger.warning("drained with \(unacked.count) report(s) the coordinator never acknowledged")
            end(.success("drained"))
        }
    }

    private func tick() {
        let now = Self.clock()
        if draining { finishDrainIfDone() }
        guard finish != nil else { return }
        if !welcomed {
            if now - lastHello >= helloBackoff {
                helloBackoff = min(helloBackoff * 2, 5)
                sayHello(now: now)
            }
            return
        }
        if now - lastHeartbeat >= heartbeatInterval {
            lastHeartbeat = now
            transport.send(.heartbeat(Heartbeat(sent: Date().timeIntervalSince1970, running: running.keys.sorted())))
        }
        if now - lastHeard > max(3 * heartbeatInterval, 3) {
            logger.warning("coordinator silent for \(String(format: "%.1f", now - lastHeard)) s; saying hello again")
            welcomed = false
            helloBackoff = 0.5
            sayHello(now: now)
        }
    }

    private func handle(_ event: ClientEvent) {
        let now = Self.clock()
        guard case .message(let message) = event else {
            if case .rejected(let error) = event {
                logger.warning("rejected a message from the coordinator: \(error.message)")
                // A job whose settings this worker cannot read is that job's failure, not a lease left to time out.
                if let key = error.jobKey, running[key] == nil, unacked[key] == nil {
                    report(.failure(JobFailure(key: key, reason: "worker \(configuration.id) cannot read this job: \(error.message)",
                                               class: .configuration)))
                    if welcomed && !draining { transport.send(.request(JobRequest(slots: 1))) }
                }
            }
            if case .security(let reason) = event {
                // ZeroMQ keeps reconnecting (and the key may be admitted later): said once, then at powers of two.
                securityFailures += 1
                if securityFailures & (securityFailures - 1) == 0 {
                    logger.error("\(reason) (\(securityFailures) time(s); still trying)")
                }
            }
            return
        }
        lastHeard = now
        switch message {
        case .welcome(let welcome):
            let first = !welcomed
            welcomed = true
            helloBackoff = 0.5
            heartbeatInterval = welcome.heartbeatInterval
            if first {
                logger.info("joined study \(welcome.studyID) with \(configuration.slots) slot(s)")
                loadStoredReports(study: welcome.studyID)
                // Reports the coordinator may not have: sent again (it acknowledges those it already has).
                for key in unacked.keys.sorted() { transport.send(unacked[key]!) }
                let free = configuration.slots - running.count
                if free > 0 && !draining { transport.send(.request(JobRequest(slots: free))) }
            }
        case .refusal(let refusal):
            guard let retry = refusal.retryAfter else {
                // A refusal that stands: this worker cannot run the study.
                end(.failure(ClusterError(.run, "the coordinator refused this worker: \(refusal.reason)")))
                return
            }
            // A refusal that passes (an eviction's cool-down, a key revoked and restored): hello again later,
            // until the coordinator says `shutdown`.
            let seconds = String(format: "%.0f", retry)
            logger.warning("the coordinator refused this worker for now: \(refusal.reason); saying hello again in \(seconds) s")
            welcomed = false
            lastHello = now
            helloBackoff = max(retry, 0.5)
        case .job(let job):
            start(job)
        case .cancel(let cancel):
            running[cancel.key]?.cancel()
            forget(cancel.key)  // its lease moved on: the report is not wanted
            finishDrainIfDone()
        case .ack(let ack):
            for key in ack.keys where unacked[key] != nil {
                forget(key)
                logger.debug("acknowledged job \(key.jobID) attempt \(key.attempt)")
            }
            finishDrainIfDone()
        case .shutdown(let shutdown):
            logger.info("coordinator shut the worker down: \(shutdown.reason)")
            end(.success(shutdown.reason))
        case .drain(let drain):
            draining = true
            logger.notice("coordinator asked to drain: \(drain.reason)")
            finishDrainIfDone()
        case .heartbeat, .hello, .request, .progress, .result, .failure:
            break
        }
    }

    private func start(_ job: Job) {
        guard running[job.key] == nil else { return }
        if let done = unacked[job.key] {  // finished already: the report again, not the work
            transport.send(done)
            return
        }
        let transport = self.transport
        let seed = job.seed ^ (UInt64(truncatingIfNeeded: job.key.attempt) &* 0x9E37_79B9_7F4A_7C15)
        var device: String?
        if !configuration.gpus.isEmpty {
            let held = Set(heldGPUs.values)
            guard let free = configuration.gpus.first(where: { !held.contains($0.index) }) else {
                // More jobs than GPUs (the coordinator over-sent): hand it back for another slot.
                report(.failure(JobFailure(key: job.key, reason: "no free GPU on worker \(configuration.id)", class: .transient)))
                return
            }
            device = free.index
        }
        let evaluator: any Evaluator
        do {
            evaluator = try evaluators.evaluator(for: job, device: device)
        } catch {
            // A job this worker cannot run (a missing table, an evaluator it lacks) is that job's failure,
            // with its class, never the end of the worker: the coordinator decides (cluster/PROTOCOL.md).
            let reason = (error as? EvaluationError)?.message ?? "\(error)"
            let failureClass = (error as? EvaluationError)?.failureClass ?? .configuration
            report(.failure(JobFailure(key: job.key, reason: "worker \(configuration.id) cannot run this job: \(reason)",
                                       class: failureClass)))
            logger.error("cannot run job \(job.key.jobID) attempt \(job.key.attempt): \(reason)")
            if welcomed && !draining { transport.send(.request(JobRequest(slots: 1))) }
            return
        }
        if let device { heldGPUs[job.key] = device }
        if job.evaluation.kind == .external { externalJobs[job.key] = job.studyID }
        running[job.key] = Task { [weak self] in
            let message: WireMessage?
            do {
                let space = try SpaceCatalog.space(named: job.space)
                let architecture = try space.parse(job.architecture)
                let result = try await evaluator.evaluate(architecture, seed: seed) { p in
                    transport.send(.progress(Progress(key: job.key, epoch: p.epoch, trainLoss: p.trainLoss,
                                                      validationError: p.validationError, seconds: p.seconds)))
                }
                try Task.checkCancellation()
                if result.validationError.isFinite {
                    message = .result(JobResult(key: job.key, metrics: result))
                } else {
                    message = .failure(JobFailure(key: job.key, reason: "the evaluation returned a non-finite error", class: .architecture))
                }
            } catch is CancellationError {
                message = nil
            } catch let error as EvaluationError {
                message = .failure(JobFailure(key: job.key, reason: error.message, class: error.failureClass))
            } catch let error as ANASODError {
                // The architecture string does not parse in the job's space: the coordinator sent a job of
                // another space or version.
                message = .failure(JobFailure(key: job.key, reason: error.message, class: .configuration))
            } catch {
                message = .failure(JobFailure(key: job.key, reason: "\(error)", class: .transient))
            }
            guard let worker = self else { return }
            worker.queue.async {
                let `self` = worker
                self.heldGPUs[job.key] = nil
                guard self.running.removeValue(forKey: job.key) != nil else { return }
                if let message {
                    self.report(message)
                    if case .result = message { self.completed += 1 }
                }
                if self.draining {
                    self.finishDrainIfDone()
                } else if self.welcomed {
                    transport.send(.request(JobRequest(slots: 1)))
                }
            }
        }
    }
}
