import CZeroMQ
import Foundation

/// One DEALER socket used from one thread, with blocking sends: what load tools (`FloodingPeer`) need to
/// push as much as the network takes. Not a worker's transport (`ZeroMQClient` is): nothing here reconnects
/// with a new hello or keeps state.
public final class BlockingDealer: @unchecked Sendable {
    private let context = ZeroMQContext()
    private var socket: UnsafeMutableRawPointer?

    /// - Throws: `WireError(.transport)` for a bad endpoint, `.security` for unusable keys.
    public init(connect endpoint: String, identity: String, security: ClientSecurity) throws {
        guard let socket = zmq_socket(context.handle, ZMQ_DEALER) else { throw ZeroMQContext.lastError("zmq_socket(DEALER)") }
        do {
            try ZeroMQOptions.dealer(socket, identity: identity, security: security)
            try ZeroMQOptions.set(socket, ZMQ_SNDHWM, 1000)  // a sender that waits for the network, not memory
            guard zmq_connect(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot connect to \(endpoint)") }
        } catch {
            zmq_close(socket)
            throw error
        }
        self.socket = socket
    }

    /// Sends `bytes`, waiting up to `timeout` seconds for room; false when it could not.
    @discardableResult
    public func send(_ bytes: [UInt8], timeout: Double = 1) -> Bool {
        guard let socket else { return false }
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLOUT), revents: 0)
        guard zmq_poll(&item, 1, Int(timeout * 1000)) > 0 else { return false }
        return bytes.withUnsafeBufferPointer { zmq_send(socket, $0.baseAddress, bytes.count, ZMQ_DONTWAIT) } >= 0
    }

    /// The next message, waiting up to `timeout` seconds (0: only what is there); nil when none came, and
    /// for bytes that are not a message.
    public func receive(timeout: Double) -> WireMessage? {
        guard let socket else { return nil }
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        guard zmq_poll(&item, 1, Int(timeout * 1000)) > 0, let frame = receiveFrame(socket) else { return nil }
        return try? WireMessage.decode(frame.bytes)
    }

    public func close() {
        if let socket { zmq_close(socket) }
        socket = nil
        context.terminate()
    }

    deinit { close() }
}
