import CZeroMQ
import Foundation

/// A worker's transport: a ZeroMQ DEALER connected to the coordinator. ZeroMQ reconnects by itself with
/// exponential backoff (100 ms doubling up to `maxReconnectInterval`); the worker notices a lost
/// coordinator by its missing heartbeats and says hello again.
///
/// With `.curve` security the socket is a CurveZMQ client that talks only to the coordinator with the given
/// public key; a handshake the coordinator turns down is reported as a `.security` event saying what to
/// check. On `close()` queued messages get `closeLinger` seconds to leave.
public final class ZeroMQClient: ClientTransport, @unchecked Sendable {
    public let endpoint: String
    private let context = ZeroMQContext()
    private let loop: SocketLoop
    private var socket: UnsafeMutableRawPointer?
    private var monitor: UnsafeMutableRawPointer?
    private let decoder: MessagePackDecoder
    private let encrypted: Bool
    private let maxReconnectInterval: Int32
    /// Seconds `close()` may wait for queued messages (a worker's last result) to reach the coordinator;
    /// set before `start`. 0 (the default) drops them at once; the `anasod worker` command uses 2.
    public var closeLinger: Double = 0

    /// - Parameter identity: the routing identity the coordinator sees (the worker id), ≤ 255 bytes.
    /// - Throws: `WireError(.security)` for `.none` towards an endpoint off this machine or a libzmq without
    ///   CURVE; `WireError(.transport)` for a bad endpoint.
    public init(connect endpoint: String, identity: String, security: ClientSecurity, maxReconnectInterval: Int32 = 5000,
                decoder: MessagePackDecoder = .init()) throws {
        if case .none = security, !LocalEndpoint.isLocal(endpoint) {
            throw WireError(.security, "refusing to connect to \(endpoint) without CURVE: plain sockets are allowed only on "
                            + "loopback or ipc:// endpoints; give the worker its keys (--keys DIR, see cluster/SECURITY.md)")
        }
        guard let socket = zmq_socket(context.handle, ZMQ_DEALER) else { throw ZeroMQContext.lastError("zmq_socket(DEALER)") }
        var monitor: UnsafeMutableRawPointer?
        do {
            try ZeroMQOptions.dealer(socket, identity: identity, security: security, maxReconnectInterval: maxReconnectInterval)
            // Also without keys: a plain worker facing a CURVE coordinator is told so.
            monitor = try SocketMonitor.attach(to: socket, context: context, events: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                               | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED)
            guard zmq_connect(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot connect to \(endpoint)") }
        } catch {
            if let monitor { zmq_close(monitor) }
            zmq_close(socket)
            throw error
        }
        if case .curve = security { encrypted = true } else { encrypted = false }
        self.endpoint = endpoint
        self.maxReconnectInterval = maxReconnectInterval
        self.socket = socket
        self.monitor = monitor
        self.loop = try SocketLoop()
        self.decoder = decoder
    }

    public func start(_ handler: @escaping @Sendable (ClientEvent) -> Void) {
        guard let socket else { return }
        self.socket = nil
        let monitor = self.monitor
        self.monitor = nil
        let decoder = self.decoder
        let endpoint = self.endpoint
        let handshake = HandshakeState(encrypted: encrypted)
        let maxBackoff = Double(maxReconnectInterval) / 1000
        loop.start(name: "anasod.dealer", socket: socket, monitor: monitor, linger: Int32(closeLinger * 1000), receive: { socket in
            // After a failed handshake the socket reconnects here, paced (see HandshakeState).
            if handshake.reconnectDue(now: Date().timeIntervalSince1970) { zmq_connect(socket, endpoint) }
            while let frame = receiveFrame(socket) {
                var extra = frame.more
                while extra, let next = receiveFrame(socket) { extra = next.more }
                do {
                    handler(.message(try WireMessage.decode(frame.bytes, decoder: decoder)))
                } catch let error as WireError {
                    handler(.rejected(error))
                } catch {
                    handler(.rejected(WireError(.malformed, "\(error)")))
                }
            }
            return false
        }, flush: { socket, items in
            for item in items {
                _ = item.payload.withUnsafeBufferPointer { zmq_send(socket, $0.baseAddress, item.payload.count, ZMQ_DONTWAIT) }
            }
        }, events: { socket, events in
            for event in events {
                let (disconnect, reason) = handshake.note(event, endpoint: endpoint, maxBackoff: maxBackoff)
                if disconnect { zmq_disconnect(socket, endpoint) }
                if let reason { handler(.security(reason)) }
            }
        })
    }

    public func send(_ message: WireMessage) {
        loop.enqueue((nil, message.encoded()))
    }

    public func close() {
        loop.stop()
        if let socket {
            zmq_close(socket)
            self.socket = nil
        }
        if let monitor {
            zmq_close(monitor)
            self.monitor = nil
        }
        context.terminate()  // waits up to closeLinger for what is still queued
    }

    deinit {
        close()
    }
}

/// Turns a client's monitor events into what a person should check, and paces reconnects after a failed
/// handshake: libzmq does not reconnect after a refused one (a protocol error ends the session) and, after
/// a connection dropped mid-handshake, retries every 100 ms (its backoff restarts with each TCP connect).
/// Here the socket disconnects at once and reconnects after 0.5 s, doubling up to the reconnect maximum
/// (the key may be admitted later). Only the socket's own thread uses it.
private final class HandshakeState: @unchecked Sendable {
    private let encrypted: Bool
    private var backoff = 0.5
    private var reconnectAt: Double?

    init(encrypted: Bool) { self.encrypted = encrypted }

    func reconnectDue(now: Double) -> Bool {
        guard let at = reconnectAt, now >= at else { return false }
        reconnectAt = nil
        return true
    }

    /// - Returns: whether the socket should disconnect now (a reconnect is scheduled), and what to tell the user.
    func note(_ event: SocketMonitor.Event, endpoint: String, maxBackoff: Double) -> (disconnect: Bool, reason: String?) {
        switch event.event {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            backoff = 0.5
            return (false, nil)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            let first = reconnectAt == nil
            if first {
                reconnectAt = Date().timeIntervalSince1970 + backoff
                backoff = min(backoff * 2, max(maxBackoff, 0.5))
            }
            return (first, first ? describe(event, endpoint: endpoint) : nil)
        default:
            return (false, nil)
        }
    }

    private func describe(_ event: SocketMonitor.Event, endpoint: String) -> String {
        if event.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH {
            return "the coordinator at \(endpoint) refused this worker's key (status \(event.value)): add its public "
                + "certificate (NAME.key) to the coordinator's keys folder, workers/"
        }
        let what = SocketMonitor.describe(event)
        return encrypted
            ? "the CURVE handshake with \(endpoint) failed: \(what); check that coordinator.key is this coordinator's public key"
            : "the handshake with \(endpoint) failed: \(what); a coordinator with CURVE (the default) admits only workers "
              + "with keys: start this worker with --keys DIR (cluster/SECURITY.md)"
    }
}
