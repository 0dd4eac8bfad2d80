import CZeroMQ
import Foundation

/// A ZeroMQ context (thread-safe by ZeroMQ's contract; the sockets made from it are not, and each stays
/// on the one thread that made it). Each server has its own (a context has one ZAP handler), and each
/// client too (terminating it is what waits for the client's last messages to leave).
public final class ZeroMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var terminated = false

    public static let shared = ZeroMQContext()

    public init() {
        handle = zmq_ctx_new()!
    }

    /// Waits until every socket of the context is closed and its linger has passed (what lets a worker's
    /// last messages leave before the process exits); once.
    func terminate() {
        let first = lock.withLock {
            defer { terminated = true }
            return !terminated
        }
        if first { zmq_ctx_term(handle) }
    }

    deinit {
        terminate()
    }

    static func lastError(_ what: String) -> WireError {
        WireError(.transport, "\(what): \(String(cString: zmq_strerror(zmq_errno())))")
    }
}

/// Socket options used by both sides.
enum ZeroMQOptions {
    /// High-water marks well above any burst the cluster makes: a ROUTER at the default 1,000 drops
    /// messages silently (PLATFORM.md).
    static let highWaterMark: Int32 = 200_000

    static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) throws {
        var v = value
        guard zmq_setsockopt(socket, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZeroMQContext.lastError("zmq_setsockopt(\(option))")
        }
    }

    /// The largest frame a socket accepts: a peer that sends more is disconnected by ZeroMQ before the
    /// bytes are buffered (the decoder's own limit is 1 MiB; the slack is for the envelope).
    static let maxMessageSize: Int64 = 2 << 20

    static func setString(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: String) throws {
        let bytes = Array(value.utf8)
        guard zmq_setsockopt(socket, option, bytes, bytes.count) == 0 else {
            throw ZeroMQContext.lastError("zmq_setsockopt(\(option))")
        }
    }

    /// A worker's DEALER: the common options, reconnects from 100 ms up to `maxReconnectInterval`, its routing
    /// identity (≤ 255 bytes, not starting with a zero byte) and, with `.curve`, its key pair and the
    /// coordinator's public key.
    static func dealer(_ socket: UnsafeMutableRawPointer, identity: String, security: ClientSecurity,
                       maxReconnectInterval: Int32 = 5000) throws {
        try common(socket)
        try set(socket, ZMQ_RECONNECT_IVL, 100)
        try set(socket, ZMQ_RECONNECT_IVL_MAX, maxReconnectInterval)
        let id = Array(identity.utf8.prefix(255))
        guard !id.isEmpty, id.first != 0 else { throw WireError(.transport, "a worker identity must be non-empty and not start with a zero byte") }
        guard zmq_setsockopt(socket, ZMQ_ROUTING_ID, id, id.count) == 0 else { throw ZeroMQContext.lastError("ZMQ_ROUTING_ID") }
        if case .curve(let keys, let coordinator) = security {
            try CurveSupport.require()
            guard let secret = keys.secretKey else { throw WireError(.security, "the worker's CURVE key pair has no secret key") }
            guard CurveKeyPair.isValid(coordinator) else { throw WireError(.security, "the coordinator's public key is not 40 characters of Z85") }
            try setString(socket, ZMQ_CURVE_SERVERKEY, coordinator)
            try setString(socket, ZMQ_CURVE_PUBLICKEY, keys.publicKey)
            try setString(socket, ZMQ_CURVE_SECRETKEY, secret)
        }
    }

    static func common(_ socket: UnsafeMutableRawPointer) throws {
        var limit = maxMessageSize
        guard zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &limit, MemoryLayout<Int64>.size) == 0 else {
            throw ZeroMQContext.lastError("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        }
        try set(socket, ZMQ_SNDHWM, highWaterMark)
        try set(socket, ZMQ_RCVHWM, highWaterMark)
        try set(socket, ZMQ_LINGER, 0)
    }
}
