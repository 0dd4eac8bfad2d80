import CZeroMQ
import Foundation

/// A worker's transport: a ZeroMQ DEALER connected to the coordinator. ZeroMQ reconnects by itself with
/// exponential backoff (100 ms doubling up to `maxReconnectInterval`); the worker notices a lost
/// coordinator by its missing heartbeats and says hello again.
public final class ZeroMQClient: ClientTransport, @unchecked Sendable {
    public let endpoint: String
    private let loop: SocketLoop
    private var socket: UnsafeMutableRawPointer?
    private let decoder: MessagePackDecoder

    /// - Parameter identity: the routing identity the coordinator sees (the worker id), ≤ 255 bytes.
    public init(connect endpoint: String, identity: String, maxReconnectInterval: Int32 = 5000,
                context: ZeroMQContext = .shared, decoder: MessagePackDecoder = .init()) throws {
        guard let socket = zmq_socket(context.handle, ZMQ_DEALER) else { throw ZeroMQContext.lastError("zmq_socket(DEALER)") }
        do {
            try ZeroMQOptions.common(socket)
            try ZeroMQOptions.set(socket, ZMQ_RECONNECT_IVL, 100)
            try ZeroMQOptions.set(socket, ZMQ_RECONNECT_IVL_MAX, maxReconnectInterval)
            let id = Array(identity.utf8.prefix(255))
            guard !id.isEmpty, id.first != 0 else { throw WireError(.transport, "a worker identity must be non-empty and not start with a zero byte") }
            guard zmq_setsockopt(socket, ZMQ_ROUTING_ID, id, id.count) == 0 else { throw ZeroMQContext.lastError("ZMQ_ROUTING_ID") }
            guard zmq_connect(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot connect to \(endpoint)") }
        } catch {
            zmq_close(socket)
            throw error
        }
        self.endpoint = endpoint
        self.socket = socket
        self.loop = try SocketLoop()
        self.decoder = decoder
    }

    public func start(_ handler: @escaping @Sendable (ClientEvent) -> Void) {
        guard let socket else { return }
        self.socket = nil
        let decoder = self.decoder
        loop.start(name: "anasod.dealer", socket: socket, receive: { socket in
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
        }, flush: { socket, items in
            for item in items {
                _ = item.payload.withUnsafeBufferPointer { zmq_send(socket, $0.baseAddress, item.payload.count, ZMQ_DONTWAIT) }
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
    }

    deinit {
        close()
    }
}
