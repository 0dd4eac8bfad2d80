import Foundation
import Logging
import ServiceLifecycle
import Subprocess
import SystemPackage

/// This machine's own worker processes (`anasod search`) as a `Service`: it starts one process per argument
/// list and awaits their exits (no polling).
///
/// Contract:
/// - Every worker runs in a process group of its own (as `Foundation.Process` put them), so that a Ctrl-C on
///   the terminal reaches this process alone and the shutdown stays in its hands.
/// - When every worker has exited and the group is not shutting down, the pool asks `studyEnded` whether the
///   coordinator told them to (the study finished or was stopped); if not, it throws
///   `ClusterError(.run, "all N worker process(es) exited before the study finished (their errors are above)")`,
///   which ends the group gracefully: the coordinator stops, commits and returns.
/// - On the group's graceful shutdown (run it after the coordinator's: place the pool before the coordinator
///   in the group) it waits up to `exitGrace` for the workers to exit on their own (the coordinator has told
///   them to shut down), then tears the rest down: SIGTERM, SIGKILL `killGrace` later. Workers tear their
///   trainers' process groups down first (SIGTERM, SIGKILL after `kill_grace`, 5 s by default), hence 8 s.
/// - It returns only after its graceful shutdown, so that it never ends a group that is shutting down in
///   its order; a cancelled group tears the workers down the same way.
public struct LocalWorkerPool: Service {
    /// Where a worker's standard error goes: this process's own, or a descriptor made for it (a pipe whose
    /// lines are written above a progress bar), closed here once the worker started.
    public typealias ErrorOutput = @Sendable (_ worker: Int) throws -> FileDescriptor?

    /// From SIGTERM to SIGKILL for a worker process: longer than its trainers' own teardown (`kill_grace`, 5 s
    /// by default).
    public static let defaultKillGrace: Duration = .seconds(8)

    public let executable: String
    /// One argument list per worker.
    public let workers: [[String]]
    public let exitGrace: Duration
    public let killGrace: Duration
    private let errorOutput: ErrorOutput
    private let studyEnded: @Sendable () async -> Bool
    private let logger: Logger

    /// - Parameters:
    ///   - executable: the worker program's path.
    ///   - workers: each worker's arguments.
    ///   - errorOutput: a descriptor for worker `i`'s standard error, or nil for this process's.
    ///   - studyEnded: whether the workers' exit was the coordinator's doing; asked once all have exited.
    public init(
        executable: String, workers: [[String]], exitGrace: Duration = .seconds(5),
        killGrace: Duration = defaultKillGrace, logger: Logger, errorOutput: @escaping ErrorOutput = { _ in nil },
        studyEnded: @escaping @Sendable () async -> Bool
    ) {
        self.executable = executable
        self.workers = workers
        self.exitGrace = exitGrace
        self.killGrace = killGrace
        self.errorOutput = errorOutput
        self.studyEnded = studyEnded
        self.logger = logger
    }

    private enum Event: Sendable {
        case exited(Int, TerminationStatus?)
        case shutdownRequested
        case graceOver
    }

    public func run() async throws {
        var options = PlatformOptions()
        options.processGroupID = 0
        // Run when a worker's task is cancelled (the grace is over, or the group was cancelled); it always ends
        // in SIGKILL.
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: killGrace)]
        let configuration = Configuration(executable: .path(FilePath(executable)), platformOptions: options)
        try await withThrowingTaskGroup(of: Event.self) { group in
            var running = 0
            for (i, arguments) in workers.enumerated() {
                var worker = configuration
                worker.arguments = Arguments(arguments)
                let descriptor: FileDescriptor?
                do {
                    descriptor = try errorOutput(i)
                } catch {
                    group.cancelAll()
                    throw ClusterError(.run, "cannot start worker process \(i): \(error)")
                }
                let started = AsyncStream<Result<Void, Error>>.makeStream()
                group.addTask {
                    do {
                        let error: FileDescriptorOutput =
                            descriptor.map { .fileDescriptor($0, closeAfterSpawningProcess: true) }
                            ?? .currentStandardError
                        let outcome = try await Subprocess.run(
                            worker, input: .none, output: .currentStandardOutput, error: error
                        ) { _ in
                            started.continuation.yield(.success(()))
                        }
                        return .exited(i, outcome.terminationStatus)
                    } catch {
                        started.continuation.yield(.failure(error))
                        return .exited(i, nil)
                    }
                }
                // Started (or not) before the next one: a worker that cannot start stops the command here, as before.
                var iterator = started.stream.makeAsyncIterator()
                if case .failure(let error)? = await iterator.next() {
                    group.cancelAll()
                    throw ClusterError(.run, "cannot start worker process \(i): \(error)")
                }
                running += 1
            }
            logger.info("started \(running) worker process(es)")
            group.addTask {
                // Throws when cancelled: then the workers' tasks are cancelled too, and torn down alike.
                try? await gracefulShutdown()
                return .shutdownRequested
            }
            var shuttingDown = false
            while let event = try await group.next() {
                switch event {
                case .exited(let i, let status):
                    running -= 1
                    if let status, status != .exited(0) { logger.debug("worker process \(i) ended: \(status)") }
                    guard running == 0 else { continue }
                    if shuttingDown { group.cancelAll(); return }
                    if await studyEnded() { continue }  // its shutdown comes with the group's
                    group.cancelAll()
                    throw ClusterError(
                        .run,
                        "all \(workers.count) worker process(es) exited before the study finished "
                            + "(their errors are above)"
                    )
                case .shutdownRequested:
                    shuttingDown = true
                    if running == 0 { group.cancelAll(); return }
                    group.addTask {
                        // The time limit of the workers' own exit (not a wait for something that could be awaited).
                        try? await Task.sleep(for: exitGrace)
                        return .graceOver
                    }
                case .graceOver:
                    guard running > 0 else { continue }
                    logger.notice(
                        "\(running) worker process(es) still running \(exitGrace) after the shutdown: terminating them")
                    group.cancelAll()  // each worker's task tears its process down (`teardownSequence`)
                }
            }
        }
    }
}
