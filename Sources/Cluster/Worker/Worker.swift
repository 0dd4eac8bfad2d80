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

/// A worker: runs `WorkerState` (the protocol) on one serial queue and does what it asks. It says hello,
/// asks for as many jobs as it has free slots, runs each job in its own task with an `Evaluator`, streams
/// progress, and reports results or failures. Heartbeats go out every interval; when the coordinator falls
/// silent for 3 intervals the worker says hello again (with backoff up to 5 s), re-announcing the jobs it
/// still runs. It ends on `shutdown`, or after `drain()` once its jobs are done.
public final class Worker: @unchecked Sendable {
    public let configuration: WorkerConfiguration
    let transport: any ClientTransport
    let evaluators: any EvaluatorProvider
    let logger: Logger
    /// Where reports of external-trainer jobs wait on disk for their acknowledgement (nil: memory only).
    let reportStore: ReportStore?

    private let queue = DispatchQueue(label: "anasod.worker")
    private var state: WorkerState
    private let clock: any ClusterClock
    private var tasks = [JobKey: Task<Void, Never>]()
    /// The GPU each running job holds (GPU workers only).
    private var heldGPUs = [JobKey: String]()
    private var finish: ((Result<String, Error>) -> Void)?
    /// The study's own space, as the coordinator's welcome defined it (nil: a built-in space), or why the
    /// definition it sent cannot be used here.
    private var definedSpace: Result<SlotSearchSpace, ANASODError>?
    private var timer: DispatchSourceTimer?

    /// Seconds a drained worker waits for its last acknowledgements.
    public var ackWait: Double {
        get { queue.sync { state.ackWait } }
        set { queue.sync { state.ackWait = newValue } }
    }

    /// Jobs completed by this worker (for logs and tests).
    public var completed: Int { queue.sync { state.completed } }

    public init(configuration: WorkerConfiguration, transport: any ClientTransport, evaluators: any EvaluatorProvider,
                reportStore: ReportStore? = nil, clock: any ClusterClock = SystemClusterClock(), logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.transport = transport
        self.evaluators = evaluators
        self.reportStore = reportStore
        self.logger = logger
        state = WorkerState(identity: .init(id: configuration.id, host: configuration.host, slots: configuration.slots,
                                            devices: configuration.devices, capabilities: evaluators.capabilities,
                                            keepsReports: reportStore != nil))
    }

    /// Runs until the coordinator shuts the worker down or a drain completes; returns the reason.
    /// - Throws: `ClusterError` when the coordinator refuses this worker.
    public func run() async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, Error>) in
            queue.async { [self] in
                finish = { result in continuation.resume(with: result) }
                // Drained (or refused) before it ran: it ends at once, never saying hello.
                if let ending = state.ended {
                    end(ending)
                    return
                }
                transport.start { [weak self] event in
                    guard let worker = self else { return }
                    worker.queue.async { worker.handle(event) }
                }
                perform(state.start(now: clock.now()))
                let timer = DispatchSource.makeTimerSource(queue: queue)
                timer.schedule(deadline: .now() + 0.1, repeating: 0.1)
                timer.setEventHandler { [weak self] in
                    guard let self else { return }
                    perform(state.tick(now: clock.now()))
                }
                timer.resume()
                self.timer = timer
            }
        }
    }

    /// Stops asking for jobs, tells the coordinator, and ends once the running jobs are done.
    public func drain(reason: String = "drain requested") {
        queue.async { [self] in perform(state.drain(reason: reason, now: clock.now())) }
    }

    private func handle(_ event: ClientEvent) {
        let now = clock.now()
        switch event {
        case .message(let message):
            if case .welcome(let welcome) = message { learnSpace(welcome) }
            perform(state.receive(message, now: now))
        case .rejected(let error): perform(state.rejected(job: error.jobKey, reason: error.message, now: now))
        case .security(let reason): perform(state.securityFailed(reason))
        }
    }

    /// Does what the state machine asks, in order (answers it gives back are done in their turn).
    private func perform(_ actions: [WorkerAction]) {
        var pending = actions[...]
        while let action = pending.popFirst() {
            switch action {
            case .send(let message):
                transport.send(message)
            case .start(let job):
                pending.append(contentsOf: start(job))
            case .cancel(let key):
                tasks[key]?.cancel()
            case .keep(let message, let study, let key):
                guard let reportStore else { continue }
                do {
                    try reportStore.save(message, study: study, key: key)
                } catch {
                    pending.append(contentsOf: state.reportNotKept(key, error: "\(error)"))
                }
            case .discard(let study, let key):
                reportStore?.remove(study: study, key: key)
            case .loadKept(let study):
                let (reports, problems) = reportStore?.load(study: study) ?? ([:], [])
                if !reports.isEmpty, let reportStore { logger.notice("found \(reports.count) kept report(s) in \(reportStore.workDirectory)") }
                pending.append(contentsOf: state.keptReportsLoaded(reports, study: study, unreadable: problems, now: clock.now()))
            case .log(let level, let message):
                logger.log(level: level, "\(message)")
            case .end(let ending):
                end(ending)
            }
        }
    }

    private func end(_ ending: WorkerState.Ending) {
        guard let finish else { return }
        self.finish = nil
        timer?.cancel()
        let running = Array(tasks.values)
        for task in running { task.cancel() }
        tasks.removeAll()
        heldGPUs.removeAll()
        transport.close()
        // Cancelled jobs tear down what they started (an external trainer's process group) before the
        // worker reports that it has ended, so no trainer outlives its worker.
        Task {
            for task in running { await task.value }
            switch ending {
            case .finished(let reason): finish(.success(reason))
            case .refused(let reason): finish(.failure(ClusterError(.run, "the coordinator refused this worker: \(reason)")))
            }
        }
    }

    /// Keeps the user-defined space a welcome carries (checked as a study file's would be).
    private func learnSpace(_ welcome: Welcome) {
        guard let text = welcome.spaceDefinition else {
            definedSpace = nil
            return
        }
        do {
            let space = try SlotSearchSpace(definitionJSON: text)
            if (try? definedSpace?.get()) != space {
                let summary = "\(space.cellTypes.count) cell type(s), \(space.operationCount) operations, \(space.slotsPerCell) slots, "
                    + "\(space.wiring.kind) wiring"
                logger.info("study \(welcome.studyID) searches its own space '\(space.name)': \(summary)")
            }
            definedSpace = .success(space)
        } catch let error as ANASODError {
            logger.error("the coordinator's space definition cannot be used: \(error.message)")
            definedSpace = .failure(error)
        } catch {
            definedSpace = .failure(ANASODError(.invalidSearchSpace, "\(error)"))
        }
    }

    /// The space `job.space` names: a built-in one, or the study's own as its welcome defined it.
    /// - Throws: `EvaluationError` of class `configuration` when this worker knows no such space.
    private func space(of job: Job) throws -> any SearchSpace {
        if let builtIn = SpaceName(rawValue: job.space) { return builtIn.space }
        switch definedSpace {
        case .success(let space)? where space.name == job.space:
            return space
        case .failure(let error)?:
            throw EvaluationError(.unsupportedArchitecture, "the study's space definition is not valid here: \(error.message)",
                                  class: .configuration)
        default:
            let defined = (try? definedSpace?.get()).map { " (the study defines '\($0.name)')" } ?? ""
            throw EvaluationError(.unsupportedArchitecture, "this worker does not know the search space '\(job.space.prefix(80))'\(defined)",
                                  class: .configuration)
        }
    }

    /// Starts a job's evaluation in a task of its own; a job that cannot start ends at once, with its failure.
    private func start(_ job: Job) -> [WorkerAction] {
        let now = clock.now()
        var device: String?
        if !configuration.gpus.isEmpty {
            let held = Set(heldGPUs.values)
            guard let free = configuration.gpus.first(where: { !held.contains($0.index) }) else {
                // More jobs than GPUs (the coordinator over-sent): hand it back for another slot.
                return state.jobEnded(job.key, report: .failure(JobFailure(key: job.key, reason: "no free GPU on worker \(configuration.id)",
                                                                           class: .transient)), now: now, started: false,
                                  freesSlot: false)
            }
            device = free.index
        }
        let evaluator: any Evaluator
        let space: any SearchSpace
        do {
            space = try self.space(of: job)
            evaluator = try evaluators.evaluator(for: job, space: space, device: device)
        } catch {
            // A job this worker cannot run (a missing table, an evaluator it lacks) is that job's failure,
            // with its class, never the end of the worker: the coordinator decides (cluster/PROTOCOL.md).
            let reason = (error as? EvaluationError)?.message ?? "\(error)"
            let failureClass = (error as? EvaluationError)?.failureClass ?? .configuration
            logger.error("cannot run job \(job.key.jobID) attempt \(job.key.attempt): \(reason)")
            return state.jobEnded(job.key, report: .failure(JobFailure(key: job.key, reason: "worker \(configuration.id) cannot run this job: \(reason)",
                                                                       class: failureClass)), now: now, started: false)
        }
        if let device { heldGPUs[job.key] = device }
        let transport = self.transport
        let seed = job.seed ^ (UInt64(truncatingIfNeeded: job.key.attempt) &* 0x9E37_79B9_7F4A_7C15)
        tasks[job.key] = Task { [weak self] in
            let message = await Self.evaluate(job, in: space, with: evaluator, seed: seed, transport: transport)
            guard let worker = self else { return }
            worker.queue.async {
                worker.heldGPUs[job.key] = nil
                worker.tasks[job.key] = nil
                worker.perform(worker.state.jobEnded(job.key, report: message, now: worker.clock.now()))
            }
        }
        return []
    }

    /// One evaluation, streaming its progress: its report, or nil when it was cancelled.
    private static func evaluate(_ job: Job, in space: any SearchSpace, with evaluator: any Evaluator, seed: UInt64,
                                 transport: any ClientTransport) async -> WireMessage? {
        do {
            let architecture = try space.parse(job.architecture)
            try space.validate(architecture)  // an operation its slot may not hold, from whatever sent the job
            let result = try await evaluator.evaluate(architecture, seed: seed) { p in
                transport.send(.progress(Progress(key: job.key, progress: p)))
            }
            try Task.checkCancellation()
            guard result.validationError.isFinite else {
                return .failure(JobFailure(key: job.key, reason: "the evaluation returned a non-finite error", class: .architecture))
            }
            return .result(JobResult(key: job.key, metrics: result))
        } catch is CancellationError {
            return nil
        } catch let error as EvaluationError {
            return .failure(JobFailure(key: job.key, reason: error.message, class: error.failureClass))
        } catch let error as ANASODError {
            // The architecture string does not parse in the job's space: the coordinator sent a job of
            // another space or version.
            return .failure(JobFailure(key: job.key, reason: error.message, class: .configuration))
        } catch {
            return .failure(JobFailure(key: job.key, reason: "\(error)", class: .transient))
        }
    }
}
