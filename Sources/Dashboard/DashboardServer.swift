import Cluster
import Foundation
import Hummingbird
import Journal
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The live dashboard of a running coordinator, on Hummingbird: read-only, bound to loopback unless asked
/// otherwise, and then protected by a token (every request must carry it, as `?token=` or
/// `Authorization: Bearer`). On loopback it answers only requests addressed to a loopback name
/// (`LoopbackHostMiddleware`: DNS rebinding). What is drawn from the journal (`/report`, the charts) is
/// computed when the study changed, not on every request (`ComputedOnChange`). Routes:
/// - `/` the page (the report's views updating as results arrive, the jobs in flight, the workers);
/// - `/events` server-sent events: an `update` (JSON `{"results": N, "html": …}`) whenever the state
///   changes, at most every `interval` seconds, and `finished` at the end;
/// - `/api/state` the live state as JSON (`DashboardState`: what `anasod status` reads);
/// - `/report` the full report of the journal so far (`anasod report`'s page);
/// - `/metrics` the coordinator's metrics in Prometheus's text format.
public final class DashboardServer: Sendable {
    public let host: String
    public let requestedPort: Int
    /// nil on loopback (no token needed).
    public let token: String?
    private let status: @Sendable () -> CoordinatorStatus
    private let journalPath: String
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let interval: Double
    private let page: LivePage
    private let running = RunningServer()
    /// `/report`'s page, computed again only when the study changed.
    let reportPage = ComputedOnChange<DashboardState.JournalMarker, String>()

    /// - Parameters:
    ///   - token: for a non-loopback host; nil makes one (32 random bytes, hex). Ignored on loopback.
    ///   - status: the coordinator's live status (cheap: a snapshot under a lock).
    public init(host: String, port: Int, token: String? = nil, journalPath: String, registry: PrometheusCollectorRegistry,
                interval: Double = 1, logger: Logger, status: @escaping @Sendable () -> CoordinatorStatus) {
        self.host = host
        requestedPort = port
        self.token = Self.isLoopback(host) ? nil : (token ?? Self.makeToken())
        self.status = status
        self.journalPath = journalPath
        self.registry = registry
        self.logger = logger
        self.interval = interval
        page = LivePage(journalPath: journalPath)
    }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6).
    public static func parse(_ text: String) throws -> (host: String, port: Int) {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ClusterError(.invalidConfiguration, "dashboard address '\(text)' is not HOST:PORT (e.g. 127.0.0.1:8265)")
        }
        guard !host.isEmpty, let p = Int(port), (0...65535).contains(p) else {
            throw ClusterError(.invalidConfiguration, "dashboard address '\(text)' is not HOST:PORT with a port in 0…65535")
        }
        return (String(host), p)
    }

    /// Starts serving; returns the page's address (with the token, when one is needed) once the socket is
    /// bound. - Throws: `ClusterError` when the address cannot be bound.
    public func start() async throws -> String {
        let router = Router()
        if token == nil { router.add(middleware: LoopbackHostMiddleware()) }
        router.add(middleware: TokenMiddleware(token: token))
        router.get("/") { [self] _, _ -> Response in
            html(page.page(DashboardState(status()), token: token))
        }
        router.get("/api/state") { [self] _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(bytes: DashboardState(status()).json())))
        }
        router.get("/metrics") { [self] _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/report") { [self] _, _ -> Response in
            let report: String?
            do {
                report = try reportPage.value(for: DashboardState(status()).journalMarker) {
                    try ReportPage.current(journalPath: journalPath)?.html()
                }
            } catch {
                logger.error("dashboard: /report cannot read the journal: \(error)")
                return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "cannot read the journal: \(error)\n")))
            }
            guard let report else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "no study in the journal yet\n")))
            }
            return html(report)
        }
        router.get("/events") { [self] _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                     body: .init { writer in try await self.stream(into: &writer) })
        }
        let bound = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: requestedPort), serverName: "anasod"),
                              onServerRunning: { channel in bound.continuation.yield(channel.localAddress?.port ?? -1) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                logger.error("dashboard stopped: \(error)")
            }
            bound.continuation.finish()
        }
        running.set(task, group)
        var iterator = bound.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            throw ClusterError(.run, "the dashboard cannot listen on \(host):\(requestedPort) (in use, or not an address of this machine)")
        }
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)/" + (token.map { "?token=\($0)" } ?? "")
    }

    /// Stops serving: open event streams get the last state and `finished` first (up to a second).
    public func stop() async {
        guard let (task, group) = running.take() else { return }
        running.close()
        for _ in 0..<10 where running.openStreams > 0 { try? await Task.sleep(nanoseconds: 100_000_000) }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    private func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                        .contentSecurityPolicy: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                            + "img-src data:; connect-src 'self'", .xContentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// One `update` now, then one whenever the state changed (checked every `interval`), a comment every
    /// 15 s to keep proxies from closing the stream, and `finished` when the study is.
    private func stream(into writer: inout any ResponseBodyWriter) async throws {
        running.streamOpened()
        defer { running.streamClosed() }
        var last: DashboardState?
        var quiet = 0.0
        while !Task.isCancelled {
            let closing = running.closing
            let state = DashboardState(status())
            if state.changedFrom(last) {
                let object: [String: Any] = ["results": state.results, "html": page.fragment(state)]
                let data = try JSONSerialization.data(withJSONObject: object)
                try await writer.write(ByteBuffer(string: "event: update\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                last = state
                quiet = 0
            } else if quiet >= 15 {
                try await writer.write(ByteBuffer(string: ": still here\n\n"))
                quiet = 0
            }
            if state.finished || closing {
                try await writer.write(ByteBuffer(string: "event: finished\ndata: {}\n\n"))
                break
            }
            // Checked every 0.1 s, so that a stop is seen at once.
            var waited = 0.0
            while waited < interval && !running.closing && !Task.isCancelled {
                try await Task.sleep(nanoseconds: 100_000_000)
                waited += 0.1
            }
            quiet += waited
        }
        try await writer.finish(nil)
    }
}

extension DashboardState {
    /// Whether a page showing `old` is out of date (the elapsed time and heartbeats alone do not count).
    func changedFrom(_ old: DashboardState?) -> Bool {
        guard let old else { return true }
        return [results, failed, running, queued, finished ? 1 : 0, workers.count, refusedMessages]
            != [old.results, old.failed, old.running, old.queued, old.finished ? 1 : 0, old.workers.count, old.refusedMessages]
            || jobs.map { "\($0.job)/\($0.epoch ?? -1)" } != old.jobs.map { "\($0.job)/\($0.epoch ?? -1)" }
            || workers.map(\.state) != old.workers.map(\.state)
    }
}

/// Every request must carry the token when there is one (compared in constant time).
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let offered = request.uri.queryParameters.get("token")
            ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let offered, Self.equal(Array(offered.utf8), Array(token.utf8)) else {
            return Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "this dashboard needs its token: open the address the coordinator printed\n")))
        }
        return try await next(request, context)
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The server's task, set once it runs, and its open event streams.
private final class RunningServer: @unchecked Sendable {
    private let lock = NSLock()
    private var task: (Task<Void, Never>, ServiceGroup)?
    private var streams = 0
    private var isClosing = false
    func set(_ t: Task<Void, Never>, _ group: ServiceGroup) { lock.withLock { task = (t, group) } }
    func take() -> (Task<Void, Never>, ServiceGroup)? { lock.withLock { defer { task = nil }; return task } }
    func close() { lock.withLock { isClosing = true } }
    var closing: Bool { lock.withLock { isClosing } }
    func streamOpened() { lock.withLock { streams += 1 } }
    func streamClosed() { lock.withLock { streams -= 1 } }
    var openStreams: Int { lock.withLock { streams } }
}
