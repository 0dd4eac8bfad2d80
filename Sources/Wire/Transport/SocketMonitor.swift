import CZeroMQ
import Foundation

/// A libzmq socket monitor (`zmq_socket_monitor`): a PAIR socket that receives the watched socket's
/// connection events. Made on the thread that owns the watched socket, then confined with it to its loop.
enum SocketMonitor {
    struct Event {
        var event: Int32
        var value: UInt32
        var address: String
    }

    /// Attaches a monitor for `events` and returns the connected PAIR socket.
    static func attach(to socket: UnsafeMutableRawPointer, context: ZeroMQContext, events: Int32) throws -> UnsafeMutableRawPointer {
        let endpoint = "inproc://anasod.monitor.\(UUID().uuidString)"
        guard zmq_socket_monitor(socket, endpoint, events) == 0 else { throw ZeroMQContext.lastError("zmq_socket_monitor") }
        guard let pair = zmq_socket(context.handle, ZMQ_PAIR) else { throw ZeroMQContext.lastError("zmq_socket(PAIR)") }
        var linger: Int32 = 0
        zmq_setsockopt(pair, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_connect(pair, endpoint) == 0 else {
            zmq_close(pair)
            throw ZeroMQContext.lastError("cannot connect the socket monitor")
        }
        return pair
    }

    /// The events waiting on a monitor socket (two frames each: 6 bytes of event and value, then the address).
    static func read(_ pair: UnsafeMutableRawPointer) -> [Event] {
        var events = [Event]()
        while let first = receiveFrame(pair) {
            var address = ""
            if first.more, let second = receiveFrame(pair) {
                address = String(decoding: second.bytes.prefix(512), as: UTF8.self)
                var more = second.more
                while more, let extra = receiveFrame(pair) { more = extra.more }
            }
            guard first.bytes.count >= 6 else { continue }
            let event = first.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
            let value = first.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
            events.append(Event(event: Int32(event), value: value, address: address))
        }
        return events
    }

    /// Words for a handshake failure's protocol error code.
    static func describe(_ event: Event) -> String {
        if event.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL {
            return "the connection failed during the handshake (\(String(cString: strerror(Int32(bitPattern: event.value)))))"
        }
        switch Int32(bitPattern: event.value) {
        case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
            return "the two sides disagree on CURVE (one has keys, the other runs with cluster.security: none or without keys)"
        case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
            return "the CURVE handshake did not decrypt (the peer has the wrong coordinator key)"
        default:
            return String(format: "handshake protocol error 0x%08x", event.value)
        }
    }
}
