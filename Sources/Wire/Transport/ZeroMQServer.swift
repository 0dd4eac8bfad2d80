import CZeroMQ
import Foundation

/// The coordinator's transport: a ZeroMQ ROUTER bound to `tcp://HOST:PORT` (port 0: an ephemeral port,
/// reported in `endpoint`) or `ipc://PATH`. High-water marks are set well above any burst and
/// `ZMQ_ROUTER_MANDATORY` makes a send to an unknown or full peer fail loudly (`.unreachable`) instead of
/// being dropped.
public final class ZeroMQServer: ServerTransport, @unchecked Sendable {
    public let endpoint: String
    private let loop: SocketLoop
    private var socket: UnsafeMutableRawPointer?
    private let decoder: MessagePackDecoder

    /// Binds now, so that a taken port or a bad endpoint is an error here, with the endpoint in the message.
    public init(bind endpoint: String, context: ZeroMQContext = .shared, decoder: MessagePackDecoder = .init()) throws {
        guard let socket = zmq_socket(context.handle, ZMQ_ROUTER) else { throw ZeroMQContext.lastError("zmq_socket(ROUTER)") }
        do {
            try ZeroMQOptions.common(socket)
            try ZeroMQOptions.set(socket, ZMQ_ROUTER_MANDATORY, 1)
            guard zmq_bind(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot bind \(endpoint)") }
        } catch {
            zmq_close(socket)
            throw error
        }
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size)
        self.endpoint = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.socket = socket
        self.loop = try SocketLoop()
        self.decoder = decoder
    }

    public func start(_ handler: @escaping @Sendable (ServerEvent) -> Void) {
        guard let socket else { return }
        self.socket = nil  // owned by the loop's thread from now on
        let decoder = self.decoder
        loop.start(name: "anasod.router", socket: socket, receive: { socket in
            while let identity = receiveFrame(socket) {
                // At most two frames are kept; the rest of a longer multipart message is read and dropped.
                var frames = [[UInt8]]()
                var count = 0
                var more = identity.more
                while more, let frame = receiveFrame(socket) {
                    count += 1
                    if frames.count < 2 { frames.append(frame.bytes) }
                    more = frame.more
                }
                let peer = PeerID(identity.bytes)
                guard count == 1 else {
                    handler(.rejected(peer, WireError(.malformed, "expected one payload frame, got \(count)")))
                    continue
                }
                do {
                    handler(.message(peer, try WireMessage.decode(frames[0], decoder: decoder)))
                } catch let error as WireError {
                    handler(.rejected(peer, error))
                } catch {
                    handler(.rejected(peer, WireError(.malformed, "\(error)")))
                }
            }
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
        })
    }

    public func send(_ message: WireMessage, to peer: PeerID) {
        loop.enqueue((peer.bytes, message.encoded()))
    }

    public func close() {
        loop.stop()
        if let socket {
            zmq_close(socket)
            self.socket = nil
        }
    }

    deinit {
        close()
    }
}
