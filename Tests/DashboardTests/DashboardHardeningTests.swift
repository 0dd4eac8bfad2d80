@testable import Cluster
@testable import Dashboard
import Foundation
import Journal
import Logging
import Prometheus
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The dashboard against a hostile browser and a busy study: a loopback dashboard answers only requests
/// addressed to loopback (DNS rebinding), the token never reaches a log, and what is drawn from the journal
/// is computed when the study changes, not on every request.
@Suite(.serialized) struct DashboardHardeningTests {
    /// A status whose counters a test changes while the dashboard runs.
    final class StatusBox: @unchecked Sendable {
        private let lock = NSLock()
        private var status = CoordinatorStatus(study: "hard", budget: 10, successes: 0, failed: 0, running: 0, queued: 0, workers: 0,
                                               best: nil, finished: false, elapsed: 0)
        var value: CoordinatorStatus { lock.withLock { status } }
        func change(_ body: (inout CoordinatorStatus) -> Void) { lock.withLock { body(&status) } }
    }

    /// A journal holding a study, and a loopback dashboard over it.
    static func dashboard(_ box: StatusBox) async throws -> (server: DashboardServer, port: Int, path: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hard-\(UUID().uuidString).sqlite").path
        try SQLiteJournal(path: path).begin(StudyRecord(id: "hard", configuration: "study: hard\nspace: nb201\nstrategy: rs\n",
                                                        created: Date().timeIntervalSince1970))
        let server = DashboardServer(host: "127.0.0.1", port: 0, journalPath: path, registry: PrometheusCollectorRegistry(),
                                     logger: Logger(label: "dash"), status: { box.value })
        let url = try await server.start()
        let port = try #require(URLComponents(string: url)?.port)
        return (server, port, path)
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The status code of `GET path` sent over a plain socket to 127.0.0.1:`port` with the `Host` header
    /// `host` (nil: none), as a browser on a rebound name would send it.
    static func status(port: Int, path: String = "/api/state", host: String?) throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET \(path) HTTP/1.1\r\n" + (host.map { "Host: \($0)\r\n" } ?? "") + "Connection: close\r\n\r\n"
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 64 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            response += buffer.prefix(n)
        }
        // "HTTP/1.1 421 Misdirected Request"
        let line = String(decoding: response, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let code = Int(fields[1]) else { throw POSIXError(.EBADMSG) }
        return code
    }

    @Test func hostNamesAreJudged() {
        for host in ["localhost", "LOCALHOST:8265", "localhost.", "127.0.0.1", "127.0.0.1:80", "127.1.2.3:65535", "[::1]", "[::1]:8265"] {
            #expect(DashboardServer.isLoopback(authority: host), "\(host)")
        }
        for host in ["evil.example", "evil.example:8265", "127.evil.example", "127.0.0.1.nip.io", "127.0.0.1.evil.example:80",
                     "localhost.evil.example", "[::2]", "[::1]x", "[::1]:", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:8a",
                     "0.0.0.0", "10.0.0.1", "127.0.0", "127.0.0.256", "", "::1"] {
            #expect(!DashboardServer.isLoopback(authority: host), "\(host)")
        }
    }

    @Test func aLoopbackDashboardRefusesARequestForAnotherHost() async throws {
        let box = StatusBox()
        let (server, port, path) = try await Self.dashboard(box)
        defer { Self.remove(path) }
        #expect(try Self.status(port: port, host: "127.0.0.1:\(port)") == 200)
        #expect(try Self.status(port: port, host: "localhost:\(port)") == 200)
        #expect(try Self.status(port: port, host: nil) == 200)  // HTTP/1.0 style: no browser sends this
        for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.nip.io:\(port)"] {
            for route in ["/", "/api/state", "/report", "/metrics", "/events"] {
                #expect(try Self.status(port: port, path: route, host: host) == 421, "\(route) for \(host)")
            }
        }
        await server.stop()
    }

    @Test func theReportIsComputedOnlyWhenTheStudyChanged() async throws {
        let box = StatusBox()
        let (server, port, path) = try await Self.dashboard(box)
        defer { Self.remove(path) }
        let report = "http://127.0.0.1:\(port)/report"
        for _ in 0..<3 { #expect(try await DashboardServerTests.get(report).status == 200) }
        #expect(server.reportPage.computations == 1)
        box.change { $0.successes += 1 }
        for _ in 0..<3 { #expect(try await DashboardServerTests.get(report).status == 200) }
        #expect(server.reportPage.computations == 2)
        await server.stop()
    }

    @Test func theLivePagesChartsAreReadOncePerChange() throws {
        let box = StatusBox()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hard-\(UUID().uuidString).sqlite").path
        defer { Self.remove(path) }
        let page = LivePage(journalPath: path)
        for _ in 0..<5 { _ = page.fragment(DashboardState(box.value)) }
        #expect(page.chartsOnChange.computations == 1)
        box.change { $0.queued = 4 }
        for _ in 0..<5 { _ = page.fragment(DashboardState(box.value)) }
        #expect(page.chartsOnChange.computations == 2)
    }

    @Test func theTokenStaysInAPrivateFileAndOutOfLogs() throws {
        let token = String(repeating: "ab", count: 32)
        let url = "http://0.0.0.0:8265/?token=\(token)"
        #expect(DashboardAddress.withoutToken(url) == "http://0.0.0.0:8265/")
        #expect(DashboardAddress.withoutToken("http://127.0.0.1:8265/") == "http://127.0.0.1:8265/")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hard-\(UUID().uuidString).dashboard").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        // A stale file readable by others (an older run) is replaced by a private one.
        #expect(FileManager.default.createFile(atPath: file, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o644]))
        try DashboardAddress.write(url, to: file)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == url + "\n")
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let piped = DashboardAddress.announcement(url, file: file, toTerminal: false)
        #expect(!piped.contains(token) && piped.contains(file) && piped.hasPrefix("dashboard: http://0.0.0.0:8265/ "))
        #expect(DashboardAddress.announcement(url, file: file, toTerminal: true).contains(token))
        #expect(DashboardAddress.announcement("http://127.0.0.1:1/", file: file, toTerminal: false) == "dashboard: http://127.0.0.1:1/")
    }
}
