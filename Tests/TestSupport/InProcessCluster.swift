import Cluster
import Foundation
import Journal
import Logging
import Wire

/// A coordinator and its workers in one process, on any server transport: the in-memory twin, or real
/// ZeroMQ on loopback with the workers' own clients.
///
/// Contract: the coordinator is made in `init` (a refused resume throws there); `start()` runs its loop on
/// a thread of its own (as `Coordinator.runOnThread` does), at most once; a worker added before or after
/// `start()` runs at once in a task of its own. `finish(timeout:)` starts the coordinator if it was not started,
/// waits for the study to end (with `timeout`, a watchdog stops the coordinator after that many seconds),
/// then drains every worker and awaits it whatever the outcome (a worker whose first hello came before the
/// coordinator listened may not have joined before a fast study ended; it would wait for a coordinator
/// forever, as real workers do), and returns the coordinator's final status or throws its error.
public final class InProcessCluster: @unchecked Sendable {
    public let coordinator: Coordinator
    public let transport: any ServerTransport
    private let lock = NSLock()
    private var running = [(worker: Worker, task: Task<String, Error>)]()
    private var run: Task<CoordinatorStatus, Error>?

    /// Prepares the study (see `Coordinator.init`); nothing runs until `start()`, `finish()` or a worker is added.
    public init(configuration: StudyConfiguration, journal: any Journal,
                transport: any ServerTransport = InMemoryServer(), resume: Bool = false,
                continueAfterFailures: Bool = false, metrics: ClusterMetrics? = nil,
                logger: Logger = Logger(label: "test")) throws {
        self.transport = transport
        coordinator = try Coordinator(configuration: configuration, journal: journal, transport: transport,
                                      resume: resume, continueAfterFailures: continueAfterFailures, metrics: metrics,
                                      logger: logger)
    }

    /// The in-memory server, for tests that talk to it directly (`connect`, `send`).
    public var server: InMemoryServer {
        guard let server = transport as? InMemoryServer else {
            preconditionFailure("this cluster runs on \(transport.endpoint), not in memory")
        }
        return server
    }

    /// Starts the coordinator's loop on a thread of its own before it returns (once; later calls return the
    /// same task), so that a test may deliver to the transport right after, as to a running coordinator.
    @discardableResult
    public func start() -> Task<CoordinatorStatus, Error> {
        lock.withLock {
            if let run { return run }
            let (outcome, settle) = AsyncThrowingStream<CoordinatorStatus, Error>.makeStream()
            let thread = Thread { [coordinator] in
                do {
                    settle.yield(try coordinator.run())
                    settle.finish()
                } catch {
                    settle.finish(throwing: error)
                }
            }
            thread.name = "anasod.coordinator"
            thread.start()
            let task = Task {
                for try await status in outcome { return status }
                preconditionFailure("the coordinator's thread ended without a status or an error")
            }
            run = task
            return task
        }
    }

    /// Adds a worker and runs it; logs under its id.
    /// - Parameter transport: its client; nil connects it to the in-memory server under its id.
    @discardableResult
    public func addWorker(_ configuration: WorkerConfiguration, transport: (any ClientTransport)? = nil,
                          evaluators: any EvaluatorProvider = LocalEvaluators(),
                          reportStore: ReportStore? = nil) -> Worker {
        let worker = Worker(configuration: configuration,
                            transport: transport ?? server.connect(identity: configuration.id),
                            evaluators: evaluators, reportStore: reportStore, logger: Logger(label: configuration.id))
        lock.withLock { running.append((worker, Task { try await worker.run() })) }
        return worker
    }

    /// Adds a worker of `slots` slots named `id` and runs it.
    @discardableResult
    public func addWorker(id: String, slots: Int = 1, transport: (any ClientTransport)? = nil,
                          evaluators: any EvaluatorProvider = LocalEvaluators(),
                          reportStore: ReportStore? = nil) -> Worker {
        addWorker(WorkerConfiguration(id: id, slots: slots), transport: transport, evaluators: evaluators,
                  reportStore: reportStore)
    }

    /// Waits for the study's end (stopping the coordinator after `timeout` seconds, if given), drains and
    /// awaits every worker, and returns the final status.
    public func finish(timeout: Double? = nil) async throws -> CoordinatorStatus {
        let run = start()
        let watchdog = timeout.map { seconds in
            Task { [coordinator] in
                // A watchdog: the test's time limit, not a wait for something.
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                coordinator.stop()
            }
        }
        let result = await run.result
        watchdog?.cancel()
        let workers = lock.withLock { running }
        for (worker, _) in workers { worker.drain(reason: "test over") }
        for (_, task) in workers { _ = try? await task.value }
        return try result.get()
    }
}
