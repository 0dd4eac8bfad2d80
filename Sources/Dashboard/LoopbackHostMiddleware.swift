import Hummingbird
import NIOCore

/// DNS-rebinding protection for a dashboard bound to loopback, which needs no token. A page on another site
/// can rebind its own host name to 127.0.0.1 and have the user's browser read the dashboard; the browser
/// then sends that name as `Host`. So only requests whose `Host` is a loopback name are served: `localhost`,
/// an IPv4 address `127.x.y.z`, or `[::1]`, each with an optional port. Others get 421 (Misdirected
/// Request) saying why. A request without `Host` (HTTP/1.0; a browser always sends one) is served.
struct LoopbackHostMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let authority = request.head.authority, !DashboardServer.isLoopback(authority: authority) {
            return Response(status: .misdirectedRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "this dashboard listens on loopback and answers only requests "
                                                               + "addressed to localhost, 127.0.0.1 or [::1] (the Host header): "
                                                               + "open the address the coordinator printed\n")))
        }
        return try await next(request, context)
    }
}

extension DashboardServer {
    /// Whether a `Host` header value (`host[:port]`) names this machine's loopback interface.
    static func isLoopback(authority: String) -> Bool {
        let text = authority.lowercased()
        let host: Substring
        let port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return false }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return false }
            port = rest.isEmpty ? nil : rest.dropFirst()
            guard host == "::1" || host == "0:0:0:0:0:0:0:1" else { return false }
        } else {
            if let colon = text.lastIndex(of: ":") {
                host = text[..<colon]
                port = text[text.index(after: colon)...]
            } else {
                host = text[...]
                port = nil
            }
            guard host == "localhost" || host == "localhost." || isLoopbackIPv4(host) else { return false }
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
                  let number = Int(port), number <= 65535 else { return false }
        }
        return true
    }

    /// A dotted-quad IPv4 address (four decimal parts 0…255) in 127.0.0.0/8; `127.evil.example` is not one.
    static func isLoopbackIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part) ?? 256) <= 255
        }
    }
}
