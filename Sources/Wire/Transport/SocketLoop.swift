import CZeroMQ
import Foundation

/// The thread that owns one ZeroMQ socket: it polls the socket and a wake-up pipe, receives and hands
/// messages to the owner, and sends what other threads queued in the outbox. Sockets are not thread-safe;
/// confining each to this loop is what makes `send` callable from anywhere.
final class SocketLoop: @unchecked Sendable {
    typealias Outgoing = (identity: [UInt8]?, payload: [UInt8])

    private let lock = NSLock()
    private var outbox = [Outgoing]()
    private var stopping = false
    private let pipeRead: Int32
    private let pipeWrite: Int32
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw WireError(.transport, "pipe() failed: \(String(cString: strerror(errno)))") }
        pipeRead = fds[0]
        pipeWrite = fds[1]
        _ = fcntl(pipeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(pipeWrite, F_SETFL, O_NONBLOCK)
    }

    deinit {
        Foundation.close(pipeRead)
        Foundation.close(pipeWrite)
    }

    /// Queues bytes for the socket thread.
    func enqueue(_ item: Outgoing) {
        lock.lock()
        let wasEmpty = outbox.isEmpty
        outbox.append(item)
        lock.unlock()
        if wasEmpty { wake() }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(pipeWrite, &byte, 1)
    }

    /// Runs the loop on a new thread that owns `socket` (and `monitor`, a `SocketMonitor` PAIR socket)
    /// from now on. `receive` is called for each readable moment and returns whether it left work for the
    /// next turn (then the loop does not wait in poll), `flush` with the queued items, `events`
    /// with the monitor's events. On stop the outbox is flushed and the socket closed with `linger`
    /// milliseconds for what is still queued to leave.
    func start(name: String, socket: UnsafeMutableRawPointer, monitor: UnsafeMutableRawPointer? = nil, linger: Int32 = 0,
               receive: @escaping @Sendable (UnsafeMutableRawPointer) -> Bool,
               flush: @escaping @Sendable (UnsafeMutableRawPointer, [Outgoing]) -> Void,
               events: @escaping @Sendable (UnsafeMutableRawPointer, [SocketMonitor.Event]) -> Void = { _, _ in }) {
        let socketAddress = UInt(bitPattern: socket)
        let monitorAddress = monitor.map { UInt(bitPattern: $0) }
        let thread = Thread { [self] in
            let socket = UnsafeMutableRawPointer(bitPattern: socketAddress)!
            let monitor = monitorAddress.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
            var items = [zmq_pollitem_t](repeating: zmq_pollitem_t(), count: 3)
            items[0].socket = socket
            items[0].events = Int16(ZMQ_POLLIN)
            items[1].socket = nil
            items[1].fd = pipeRead
            items[1].events = Int16(ZMQ_POLLIN)
            items[2].socket = monitor
            items[2].events = Int16(ZMQ_POLLIN)
            let count: Int32 = monitor == nil ? 2 : 3
            var drain = [UInt8](repeating: 0, count: 256)
            var busy = false
            while true {
                // Sends and receives alternate in bounded turns: while input is waiting the loop does not
                // sleep in poll, and the outbox leaves between turns however long a peer keeps sending.
                _ = zmq_poll(&items, count, busy ? 0 : 200)
                if let monitor, items[2].revents & Int16(ZMQ_POLLIN) != 0 {
                    let seen = SocketMonitor.read(monitor)
                    if !seen.isEmpty { events(socket, seen) }
                }
                if items[1].revents & Int16(ZMQ_POLLIN) != 0 {
                    while read(pipeRead, &drain, drain.count) > 0 {}
                }
                lock.lock()
                let pending = outbox
                outbox.removeAll(keepingCapacity: true)
                let stop = stopping
                lock.unlock()
                if !pending.isEmpty { flush(socket, pending) }
                if stop { break }
                // Read everything available, not only when poll said so (sends can make input ready).
                busy = receive(socket)
            }
            if let monitor {
                zmq_socket_monitor(socket, nil, 0)
                zmq_close(monitor)
            }
            var linger = linger
            zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
            zmq_close(socket)
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops the thread after it has flushed the outbox, and waits for it.
    func stop() {
        lock.lock()
        let already = stopping
        stopping = true
        lock.unlock()
        guard !already, thread != nil else { return }
        wake()
        finished.wait()
    }
}

/// Receives one frame into a byte array; nil when nothing is waiting.
func receiveFrame(_ socket: UnsafeMutableRawPointer) -> (bytes: [UInt8], more: Bool)? {
    receiveFrame(socket, user: false).map { ($0.bytes, $0.more) }
}

/// Receives one frame and the "User-Id" its connection was given by the ZAP handler (the client's CURVE
/// public key); nil when nothing is waiting.
func receiveFrameWithUser(_ socket: UnsafeMutableRawPointer) -> (bytes: [UInt8], more: Bool, user: String?)? {
    receiveFrame(socket, user: true)
}

private func receiveFrame(_ socket: UnsafeMutableRawPointer, user: Bool) -> (bytes: [UInt8], more: Bool, user: String?)? {
    var message = zmq_msg_t()
    zmq_msg_init(&message)
    defer { zmq_msg_close(&message) }
    guard zmq_msg_recv(&message, socket, ZMQ_DONTWAIT) >= 0 else { return nil }
    let size = zmq_msg_size(&message)
    let bytes = size == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size))
    let id = user ? zmq_msg_gets(&message, "User-Id").map { String(cString: $0) } : nil
    return (bytes, zmq_msg_more(&message) != 0, id)
}
