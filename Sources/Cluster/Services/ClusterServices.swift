import Logging
import ServiceLifecycle

/// A coordinator as a `Service`: its loop runs on a thread of its own until the study ends; a graceful
/// shutdown of the group (SIGTERM, SIGINT, another service ending) stops it the coordinator's way (no new
/// jobs, a grace period for running ones, everything committed). The final status is `coordinator.status`.
public struct CoordinatorService: Service {
    public let coordinator: Coordinator

    public init(_ coordinator: Coordinator) {
        self.coordinator = coordinator
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            _ = try await coordinator.runOnThread()
        } onGracefulShutdown: {
            coordinator.stop()
        }
    }
}

/// A worker as a `Service`: it runs until the coordinator shuts it down; a graceful shutdown drains it (no new
/// jobs, running ones finish and are acknowledged). With a `logger`, why it ended is logged (info).
public struct WorkerService: Service {
    public let worker: Worker
    private let logger: Logger?

    public init(_ worker: Worker, logger: Logger? = nil) {
        self.worker = worker
        self.logger = logger
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            let reason = try await worker.run()
            logger?.info("worker finished: \(reason)")
        } onGracefulShutdown: {
            worker.drain(reason: "the worker is shutting down")
        }
    }
}

/// Runs `services` in one group that ends gracefully on SIGTERM and SIGINT, or when any of them returns
/// (the coordinator's study is over, a worker was shut down) or throws (the error is rethrown once the others
/// have ended: a failing service still lets the coordinator stop and commit). The graceful shutdown runs
/// in reverse order: put the coordinator last, the services that outlive it (its workers, the dashboard)
/// before it.
public func runServices(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: .init(
        services: services.map {
            .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
        },
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
