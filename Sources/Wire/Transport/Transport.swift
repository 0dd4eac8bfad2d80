/// A peer of the coordinator's server transport (a ZeroMQ ROUTER identity, or an in-memory id).
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The connection's routing id (chosen by the client: never an identity on its own).
    public let bytes: [UInt8]
    /// The name of the CURVE key the connection authenticated with (its file name in the coordinator's
    /// `workers/` folder), nil on plain sockets. Part of the identity: two connections that announce the same
    /// routing id under different keys are two peers, and nothing one holds can be touched by the other.
    public let key: String?
    public init(_ bytes: [UInt8], key: String? = nil) {
        self.bytes = bytes
        self.key = key
    }
    /// The identity's bytes hashed in one call (the synthesised hash feeds them to the hasher one by one, and the
    /// coordinator looks peers up for every message).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(key)
    }
    public static func == (a: PeerID, b: PeerID) -> Bool { a.bytes == b.bytes && a.key == b.key }
    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
    /// The trust domain the peer belongs to: its key, or (on plain sockets, where there are no keys) the
    /// connection itself. Strikes, quarantine and corroboration count per domain: every peer holding one key
    /// is one party.
    public var domain: String { key ?? "peer " + description }
}

/// What a server transport reports, on its own thread: handlers must return quickly (enqueue and go).
public enum ServerEvent: Sendable {
    /// A decoded message from a peer.
    case message(PeerID, WireMessage)
    /// Bytes from a peer that are not a valid message (already logged-worthy: the reason says why).
    case rejected(PeerID, WireError)
    /// A send to a peer that is gone or whose queue is full (ZMQ_ROUTER_MANDATORY).
    case unreachable(PeerID)
    /// A connection or message turned away by CURVE security (unknown or revoked key, failed handshake).
    case security(SecurityRefusal)
    /// Messages from one peer read and dropped undecoded because it sent more than its share (a flood): the
    /// socket thread serves every peer a bounded budget per turn and keeps a bounded backlog per peer.
    case flooded(PeerID, dropped: Int)
}

/// What a client transport reports.
public enum ClientEvent: Sendable {
    case message(WireMessage)
    case rejected(WireError)
    /// The CURVE handshake with the coordinator failed: the reason says what to check.
    case security(String)
}

/// The coordinator's side: many peers, addressed by `PeerID`.
public protocol ServerTransport: AnyObject, Sendable {
    /// The endpoint peers connect to (with the real port when bound to port 0).
    var endpoint: String { get }
    /// Starts delivering events to `handler` (called on the transport's own thread).
    func start(_ handler: @escaping @Sendable (ServerEvent) -> Void)
    /// Queues a message for a peer; thread-safe, never blocks on the network.
    func send(_ message: WireMessage, to peer: PeerID)
    /// Queues bytes already encoded (a refusal in an older version's envelope).
    func send(encoded bytes: [UInt8], to peer: PeerID)
    /// Stops the transport's thread and closes its socket.
    func close()
}

/// A worker's side: one coordinator.
public protocol ClientTransport: AnyObject, Sendable {
    func start(_ handler: @escaping @Sendable (ClientEvent) -> Void)
    func send(_ message: WireMessage)
    func close()
}
