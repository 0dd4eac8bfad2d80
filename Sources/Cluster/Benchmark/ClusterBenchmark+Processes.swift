import Subprocess
import SystemPackage

extension ClusterBenchmark {
    private enum Event: Sendable {
        case exited(Int, TerminationStatus?)
        case studyEnded(Result<CoordinatorStatus, any Error>)
        case graceOver
    }

    /// Starts `processes` (each started before the next, as `LocalWorkerPool` does), runs `coordinator` beside
    /// them, and returns its status once every process has exited: on its own within its `exitGrace` after the
    /// study, or torn down (SIGTERM, SIGKILL `LocalWorkerPool.defaultKillGrace` later). Their exits are awaited,
    /// never polled.
    /// - Throws: `ClusterError(.run)` when a process cannot start (those started are torn down, and the coordinator
    ///   never runs); the coordinator's error once the processes are torn down. Cancelling the calling task stops
    ///   the study and tears the processes down.
    func run(_ coordinator: Coordinator, beside processes: [BenchmarkProcess]) async throws -> CoordinatorStatus {
        var options = PlatformOptions()
        // A group of its own, as `Foundation.Process` put them: a Ctrl-C on the terminal reaches this process alone.
        options.processGroupID = 0
        // Run when a process's task is cancelled; it always ends in SIGKILL.
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: LocalWorkerPool.defaultKillGrace)]
        return try await withThrowingTaskGroup(of: Event.self) { group in
            for (i, process) in processes.enumerated() {
                let configuration = Configuration(
                    executable: .path(FilePath(process.executable)), arguments: Arguments(process.arguments),
                    platformOptions: options)
                let started = AsyncStream<Result<Void, any Error>>.makeStream()
                group.addTask {
                    do {
                        let status = try await Self.spawn(configuration, discardingOutput: process.discardsOutput) {
                            started.continuation.yield(.success(()))
                        }
                        return .exited(i, status)
                    } catch {
                        started.continuation.yield(.failure(error))
                        return .exited(i, nil)
                    }
                }
                var iterator = started.stream.makeAsyncIterator()
                if case .failure(let error)? = await iterator.next() {
                    group.cancelAll()  // the processes started so far are torn down before this returns
                    let name = ([process.executable] + process.arguments.prefix(1)).joined(separator: " ")
                    throw ClusterError(.run, "cannot start \(name): \(error)")
                }
            }
            group.addTask {
                do {
                    let status = try await withTaskCancellationHandler {
                        try await coordinator.runOnThread()
                    } onCancel: {
                        coordinator.stop()
                    }
                    return .studyEnded(.success(status))
                } catch {
                    return .studyEnded(.failure(error))
                }
            }
            var running = Set(processes.indices)
            var outcome: Result<CoordinatorStatus, any Error>?
            // The longest grace among the processes still running (zero: none is waited for).
            func grace() -> Duration { running.map { processes[$0].exitGrace }.max() ?? .zero }
            while let event = try await group.next() {
                switch event {
                case .exited(let i, let status):
                    running.remove(i)
                    if outcome == nil, processes[i].stopsStudyOnFailure, status != .exited(0) {
                        coordinator.stop()  // its error is on stderr; the study would wait for it forever
                    }
                    if outcome != nil, grace() == .zero { group.cancelAll() }
                case .studyEnded(let result):
                    outcome = result
                    let wait = grace()
                    if case .success = result, wait > .zero {
                        group.addTask {
                            // The time limit of the processes' own exit (not a wait for something that could be
                            // awaited).
                            try? await Task.sleep(for: wait)
                            return .graceOver
                        }
                    } else {
                        group.cancelAll()
                    }
                case .graceOver:
                    group.cancelAll()  // each process's task tears it down (`teardownSequence`)
                }
            }
            guard let outcome else { throw ClusterError(.run, "the coordinator of the benchmark never ran") }
            return try outcome.get()
        }
    }

    /// Runs one process to its end; `started` is called once it is running.
    private static func spawn(
        _ configuration: Configuration, discardingOutput: Bool, started: @escaping @Sendable () -> Void
    ) async throws -> TerminationStatus {
        if discardingOutput {
            return try await Subprocess.run(
                configuration, input: .none, output: .discarded, error: .currentStandardError
            ) { _ in started() }.terminationStatus
        }
        return try await Subprocess.run(
            configuration, input: .none, output: .currentStandardOutput, error: .currentStandardError
        ) { _ in started() }.terminationStatus
    }
}
