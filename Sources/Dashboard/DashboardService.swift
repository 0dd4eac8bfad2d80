import Cluster
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Metrics and the live dashboard of one coordinator process, as a `Service`: a Prometheus registry of its
/// own (no process-wide bootstrap; `metrics` goes to the coordinator), the server, and the `<journal>.dashboard`
/// file through which `anasod status` finds a running study (0600: it holds the token when there is one; the
/// token is never logged).
///
/// `start` binds and announces the address before the group runs (an address in use stops the command
/// before any worker starts); `run` serves until the group's graceful shutdown, then stops the server and
/// removes the address file. Place it first in the group: it outlives the coordinator.
public final class DashboardService: Service, Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let metrics: ClusterMetrics
    private let running = Mutex<(server: DashboardServer, addressFile: String?)?>(nil)

    public init(study: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Result-to-next-job latencies are milliseconds; propose calls (a GP fit) up to minutes.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(10), .seconds(30), .seconds(120),
        ]
        metrics = ClusterMetrics(study: study, factory: factory)
    }

    /// The file beside a journal that names its running dashboard.
    public static func addressFile(forJournal journal: String) -> String { journal + ".dashboard" }

    /// Starts the dashboard at `address` (HOST:PORT) unless it is nil or `off`; prints its address on standard
    /// error and records it beside the journal. - Throws: `ClusterError` when the address cannot be parsed or bound.
    public func start(
        _ address: String?, journal: String, logger: Logger,
        status: @escaping @Sendable () -> CoordinatorStatus
    ) async throws {
        guard let address, address != "off" else { return }
        let (host, port) = try DashboardServer.parse(address)
        let server = DashboardServer(
            host: host, port: port, journalPath: journal, registry: registry, logger: logger, status: status)
        let url = try await server.start()
        var addressFile: String? = Self.addressFile(forJournal: journal)
        do {
            try DashboardAddress.write(url, to: addressFile!)
        } catch {
            logger.warning("\(error); anasod status will not find the live dashboard")
            addressFile = nil
        }
        running.withLock { $0 = (server, addressFile) }
        // The token is a password: printed whole only to a terminal, never logged.
        let line = DashboardAddress.announcement(url, file: addressFile, toTerminal: isatty(STDERR_FILENO) == 1)
        FileHandle.standardError.write(Data((line + "\n").utf8))
        let bare = DashboardAddress.withoutToken(url)
        logger.info("dashboard at \(bare); metrics at \(bare)metrics")
    }

    /// Serves until the group shuts down (or is cancelled), then stops.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops the server (open event streams get the last state first) and removes the address file.
    public func stop() async {
        guard
            let (server, addressFile) = running.withLock({ state in
                defer { state = nil }; return state
            })
        else { return }
        await server.stop()
        if let addressFile { try? FileManager.default.removeItem(atPath: addressFile) }
    }
}
