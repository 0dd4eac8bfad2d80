@testable import Cluster
@testable import Dashboard
import Foundation
import Journal
import Logging
import Prometheus
import Testing

/// The dashboard tells "no study yet" from a journal it cannot read: the first is a wait, the second an
/// error it shows (and logs), never hidden behind "no study yet".
@Suite(.serialized) struct DashboardJournalErrorTests {
    static func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString).sqlite").path
    }

    /// A file at the journal's path that is no SQLite database.
    static func garbage() throws -> String {
        let path = path()
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func serve(_ path: String) async throws -> (DashboardServer, String) {
        let status = CoordinatorStatus(study: "s", budget: 10, successes: 0, failed: 0, running: 0, queued: 0, workers: 0,
                                       best: nil, finished: false, elapsed: 0)
        let server = DashboardServer(host: "127.0.0.1", port: 0, journalPath: path, registry: PrometheusCollectorRegistry(),
                                     logger: Logger(label: "dash"), status: { status })
        let url = try await server.start()
        let port = try #require(URLComponents(string: url)?.port)
        return (server, "http://127.0.0.1:\(port)/report")
    }

    @Test func theReportSaysNoStudyYetOnlyWhenThereIsNone() async throws {
        let path = Self.path()
        defer { DashboardHardeningTests.remove(path) }
        _ = try SQLiteJournal(path: path)  // a journal, no study in it yet
        let (server, report) = try await Self.serve(path)
        let answer = try await DashboardServerTests.get(report)
        #expect(answer.status == 503 && answer.body == "no study in the journal yet\n")
        await server.stop()
    }

    @Test func anUnreadableJournalIsAnErrorOnTheReport() async throws {
        let path = try Self.garbage()
        defer { DashboardHardeningTests.remove(path) }
        let (server, report) = try await Self.serve(path)
        let answer = try await DashboardServerTests.get(report)
        #expect(answer.status == 500, "\(answer)")
        #expect(answer.body.hasPrefix("cannot read the journal: ") && answer.body.contains(path), "\(answer.body)")
        #expect(server.reportPage.computations == 1)
        _ = try await DashboardServerTests.get(report)
        #expect(server.reportPage.computations == 2)  // an error is not kept: read again next time
        await server.stop()
    }

    @Test func theLivePageShowsAnUnreadableJournal() throws {
        let status = CoordinatorStatus(study: "s", budget: 10, successes: 0, failed: 0, running: 0, queued: 0, workers: 0,
                                       best: nil, finished: false, elapsed: 0)
        let broken = try Self.garbage()
        defer { DashboardHardeningTests.remove(broken) }
        let fragment = LivePage(journalPath: broken).fragment(DashboardState(status))
        #expect(fragment.contains("<p class=\"warn\">Cannot read the journal: ") && !fragment.contains("No results yet"), "\(fragment)")
        let empty = Self.path()
        defer { DashboardHardeningTests.remove(empty) }
        _ = try SQLiteJournal(path: empty)
        let waiting = LivePage(journalPath: empty).fragment(DashboardState(status))
        #expect(waiting.contains("No results yet.") && !waiting.contains("Cannot read"))
    }
}
