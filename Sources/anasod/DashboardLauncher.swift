import Cluster
import Dashboard
import Foundation
import Logging
import Prometheus

/// Metrics and the live dashboard of one coordinator process: a Prometheus registry of its own (no
/// process-wide bootstrap), the server, and the `<journal>.dashboard` file through which `anasod status`
/// finds a running study (0600: it holds the token when there is one; the token is never logged).
final class DashboardLauncher: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let metrics: ClusterMetrics
    private var server: DashboardServer?
    private var addressFile: String?

    init(study: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Result-to-next-job latencies are milliseconds; propose calls (a GP fit) up to minutes.
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(50),
                                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                                   .seconds(2.5), .seconds(10), .seconds(30), .seconds(120)]
        metrics = ClusterMetrics(study: study, factory: factory)
    }

    /// The file beside a journal that names its running dashboard.
    static func addressFile(forJournal journal: String) -> String { journal + ".dashboard" }

    /// Starts the dashboard at `address` (HOST:PORT) unless it is `off`; prints and records its address.
    func start(_ address: String?, journal: String, logger: Logger, status: @escaping @Sendable () -> CoordinatorStatus) async throws {
        guard let address, address != "off" else { return }
        let (host, port) = try DashboardServer.parse(address)
        let server = DashboardServer(host: host, port: port, journalPath: journal, registry: registry, logger: logger, status: status)
        let url = try await server.start()
        self.server = server
        let file = Self.addressFile(forJournal: journal)
        do {
            try DashboardAddress.write(url, to: file)
            addressFile = file
        } catch {
            logger.warning("\(error); anasod status will not find the live dashboard")
        }
        // The token is a password: printed whole only to a terminal, never logged.
        let line = DashboardAddress.announcement(url, file: addressFile, toTerminal: isatty(STDERR_FILENO) == 1)
        FileHandle.standardError.write(Data((line + "\n").utf8))
        let bare = DashboardAddress.withoutToken(url)
        logger.info("dashboard at \(bare); metrics at \(bare)metrics")
    }

    /// Runs `body`, then stops the dashboard, whether `body` returned or threw.
    func serving(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    func stop() async {
        await server?.stop()
        if let addressFile { try? FileManager.default.removeItem(atPath: addressFile) }
    }
}
