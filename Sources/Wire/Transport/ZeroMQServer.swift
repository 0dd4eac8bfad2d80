import CZeroMQ
import Foundation

/// The coordinator's transport: a ZeroMQ ROUTER bound to `tcp://HOST:PORT` (port 0: an ephemeral port,
/// reported in `endpoint`) or `ipc://PATH`. High-water marks are set well above any burst and
/// `ZMQ_ROUTER_MANDATORY` makes a send to an unknown or full peer fail loudly (`.unreachable`) instead of
/// being dropped.
///
/// With `.curve` security (the default everywhere but loopback) the socket is a CurveZMQ server with a ZAP
/// handler of its own (each server has its own context): only clients whose public key is in the
/// allow-list complete the handshake, every message of a connection is checked against the allow-list
/// again (a revoked key stops counting at once), and refused handshakes are reported as `.security` events.
public final class ZeroMQServer: ServerTransport, @unchecked Sendable {
    public let endpoint: String
    public let security: ServerSecurity
    private let context = ZeroMQContext()
    private let loop: SocketLoop
    private var socket: UnsafeMutableRawPointer?
    private var monitor: UnsafeMutableRawPointer?
    private let zap: ZAPHandler?
    private let decoder: MessagePackDecoder

    /// Binds now, so that a taken port or a bad endpoint is an error here, with the endpoint in the message.
    /// - Throws: `WireError(.security)` for `.none` on an endpoint other machines can reach, or a libzmq
    ///   without CURVE; `WireError(.transport)` for a bad or taken endpoint.
    /// - Parameter decoder: by default, limits fit for what workers send (`MessagePackDecoder.workerMessages`):
    ///   a frame with a container longer than any worker message needs is refused by the pre-scan, before
    ///   msgpack-c allocates anything.
    public init(bind endpoint: String, security: ServerSecurity, decoder: MessagePackDecoder = .workerMessages) throws {
        var zap: ZAPHandler?
        switch security {
        case .none:
            guard LocalEndpoint.isLocal(endpoint) else {
                throw WireError(.security, "refusing to listen on \(endpoint) without CURVE: plain sockets are allowed only on "
                                + "loopback (tcp://127.0.0.1:PORT) or ipc:// endpoints; give the coordinator its keys "
                                + "(anasod keys generate, see cluster/SECURITY.md)")
            }
        case .curve(let keys, let allowed):
            try CurveSupport.require()
            guard keys.secretKey != nil else { throw WireError(.security, "the coordinator's CURVE key pair has no secret key") }
            zap = try ZAPHandler(context: context, allowed: allowed)
        }
        guard let socket = zmq_socket(context.handle, ZMQ_ROUTER) else {
            zap?.stop()
            throw ZeroMQContext.lastError("zmq_socket(ROUTER)")
        }
        var monitor: UnsafeMutableRawPointer?
        do {
            try ZeroMQOptions.common(socket)
            try ZeroMQOptions.set(socket, ZMQ_ROUTER_MANDATORY, 1)
            if case .curve(let keys, _) = security {
                try ZeroMQOptions.set(socket, ZMQ_CURVE_SERVER, 1)
                try ZeroMQOptions.setString(socket, ZMQ_CURVE_SECRETKEY, keys.secretKey!)
                try ZeroMQOptions.setString(socket, ZMQ_ZAP_DOMAIN, "anasod")
                monitor = try SocketMonitor.attach(to: socket, context: context,
                                                   events: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            }
            guard zmq_bind(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot bind \(endpoint)") }
        } catch {
            if let monitor { zmq_close(monitor) }
            zmq_close(socket)
            zap?.stop()
            throw error
        }
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size)
        self.endpoint = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.security = security
        self.socket = socket
        self.monitor = monitor
        self.zap = zap
        self.loop = try SocketLoop()
        self.decoder = decoder
    }

    public func start(_ handler: @escaping @Sendable (ServerEvent) -> Void) {
        guard let socket else { return }
        self.socket = nil  // owned by the loop's thread from now on
        let monitor = self.monitor
        self.monitor = nil
        let decoder = self.decoder
        let allowed: CurveAllowList? = if case .curve(_, let list) = security { list } else { nil }
        zap?.observe { handler(.security($0)) }
        let inbound = InboundQueue()
        let names = KeyNames()
        loop.start(name: "anasod.router", socket: socket, monitor: monitor, linger: Self.closeLinger, receive: { socket in
            var reads = 0
            var readBytes = 0
            while reads < inbound.limits.readsPerTurn, readBytes < inbound.limits.readBytesPerTurn, let identity = receiveFrame(socket) {
                reads += 1
                // At most two frames are kept; the rest of a longer multipart message is read and dropped.
                var frames = [[UInt8]]()
                var count = 0
                var more = identity.more
                var user: String?
                while more, let frame = receiveFrameWithUser(socket) {
                    count += 1
                    if frames.count < 2 { frames.append(frame.bytes) }
                    if count == 1 { user = frame.user }
                    more = frame.more
                }
                var name: String?
                if let allowed {
                    // The key is the peer's identity; a key revoked while its connection is open stops counting.
                    guard let user, let admitted = allowed.name(of: user) else {
                        let peer = PeerID(identity.bytes, key: user.flatMap(names.name))
                        handler(.security(SecurityRefusal(kind: .revokedKey, key: user, address: "\(peer)",
                                                          detail: "a message from peer \(peer), whose key is no longer allowed", peer: peer)))
                        continue
                    }
                    names.remember(user, admitted)
                    name = admitted
                }
                let peer = PeerID(identity.bytes, key: name)
                guard count == 1 else {
                    handler(.rejected(peer, WireError(.malformed, "expected one payload frame, got \(count)")))
                    continue
                }
                readBytes += frames[0].count
                inbound.append(frames[0], from: peer)
            }
            let drops = inbound.turn { peer, bytes in
                do {
                    handler(.message(peer, try WireMessage.decode(bytes, decoder: decoder)))
                } catch let error as WireError {
                    handler(.rejected(peer, error))
                } catch {
                    handler(.rejected(peer, WireError(.malformed, "\(error)")))
                }
            }
            for (peer, dropped) in drops { handler(.flooded(peer, dropped: dropped)) }
            return !inbound.isEmpty || reads == inbound.limits.readsPerTurn || readBytes >= inbound.limits.readBytesPerTurn
        }, flush: { socket, items in
            for item in items {
                guard let identity = item.identity else { continue }
                // Never blocks: a peer that is gone or does not read (its queue full) is reported unreachable
                // and loses its leases, instead of stalling the socket thread.
                let sentIdentity = identity.withUnsafeBufferPointer {
                    zmq_send(socket, $0.baseAddress, identity.count, ZMQ_SNDMORE | ZMQ_DONTWAIT)
                }
                guard sentIdentity >= 0 else {
                    handler(.unreachable(PeerID(identity)))
                    continue
                }
                _ = item.payload.withUnsafeBufferPointer { zmq_send(socket, $0.baseAddress, item.payload.count, ZMQ_DONTWAIT) }
            }
        }, events: { _, events in
            for event in events {
                handler(.security(SecurityRefusal(kind: .failedHandshake, address: event.address,
                                                  detail: SocketMonitor.describe(event))))
            }
        })
    }

    /// The names of keys seen admitted, so that a message on a revoked key's connection is still named (its
    /// key is gone from the allow-list). Confined to the socket thread.
    final class KeyNames: @unchecked Sendable {
        private var names = [String: String]()
        func remember(_ key: String, _ name: String) {
            if names[key] != name, names.count < 100_000 { names[key] = name }
        }
        func name(_ key: String) -> String? { names[key] }
    }

    public func send(_ message: WireMessage, to peer: PeerID) {
        loop.enqueue((peer.bytes, message.encoded()))
    }

    public func send(encoded bytes: [UInt8], to peer: PeerID) {
        loop.enqueue((peer.bytes, bytes))
    }

    /// Milliseconds that messages still queued at `close` (the last acknowledgements, the shutdowns of a
    /// finished study) have to leave; a peer that is gone does not hold the close up longer.
    public static let closeLinger: Int32 = 1000

    /// Stops the socket thread and closes the sockets; returns once what was queued has left (or
    /// `closeLinger` has passed), so that a process may exit right after.
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
        zap?.stop()
        // Every socket of this context is closed: terminating it waits for the queued messages (the linger).
        context.terminate()
    }

    deinit {
        close()
    }
}
