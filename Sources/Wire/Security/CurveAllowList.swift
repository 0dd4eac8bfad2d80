import Foundation

/// The public keys a coordinator admits, each with a name for the logs (the certificate's file name).
/// Thread-safe: the ZAP handler reads it for each new connection, the socket thread for each message
/// (a key removed from the list is refused from then on, also on connections it already has), and the
/// owner replaces it when the keys folder changes.
public final class CurveAllowList: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: String]

    /// - Parameter keys: Z85 public key → name.
    public init(_ keys: [String: String] = [:]) { self.keys = keys }

    public func replace(_ keys: [String: String]) { lock.withLock { self.keys = keys } }

    /// The name of an admitted key, nil for any other.
    public func name(of key: String) -> String? { lock.withLock { keys[key] } }

    public var snapshot: [String: String] { lock.withLock { keys } }
}

/// How a coordinator's socket admits peers.
public enum ServerSecurity: Sendable {
    /// No authentication, no encryption: accepted only for loopback and `ipc://` endpoints.
    case none
    /// CurveZMQ with the coordinator's secret key; only clients whose public key is in `allowed` get in.
    case curve(CurveKeyPair, allowed: CurveAllowList)
}

/// How a worker's socket talks to its coordinator.
public enum ClientSecurity: Sendable {
    case none
    /// CurveZMQ with the worker's own key pair, talking only to the coordinator with public key `coordinator`.
    case curve(CurveKeyPair, coordinator: String)
}

/// A connection the coordinator's socket turned away before any message from it was read.
public struct SecurityRefusal: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A CURVE client whose public key is not in the allow-list.
        case unknownKey
        /// A message on a connection whose key has since been removed from the allow-list.
        case revokedKey
        /// A handshake that failed: a client without CURVE, with the wrong coordinator key, or garbage.
        case failedHandshake
    }
    public var kind: Kind
    /// The client's public key (Z85), when known.
    public var key: String?
    /// The peer's address, as libzmq reports it.
    public var address: String
    public var detail: String
    /// The connection's peer, for a message on a connection whose key was revoked.
    public var peer: PeerID?

    public init(kind: Kind, key: String? = nil, address: String, detail: String, peer: PeerID? = nil) {
        self.kind = kind
        self.key = key
        self.address = address
        self.detail = detail
        self.peer = peer
    }
}

/// Endpoints on which plain sockets are allowed: nothing off this machine can reach them.
public enum LocalEndpoint {
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let rest = endpoint.dropFirst(6)
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            host = rest[rest.index(after: rest.startIndex)..<close]
            return host == "::1"
        }
        host = rest.prefix { $0 != ":" }
        if host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
