import CZeroMQ
import Foundation

/// Many DEALER sockets driven by one thread: a load generator's side of the wire (`anasod simulate-workers`).
/// Every member is a real ZeroMQ connection to the coordinator, each with its own routing identity and, with
/// `.curve`, its own key pair and CurveZMQ handshake, exactly as separate worker processes would make them.
///
/// Unlike `ZeroMQClient` (a thread per socket), the members are polled together by `run`, on the caller's
/// thread, and sends made from its callbacks go out at once on that thread; nothing else may touch them.
public final class DealerFleet: @unchecked Sendable {
    public let endpoint: String
    public var count: Int { sockets.count }
    private let context: UnsafeMutableRawPointer
    private var sockets: [UnsafeMutableRawPointer]
    private let decoder: MessagePackDecoder
    /// Frames from the coordinator that did not decode (a fault worth reporting in a benchmark).
    public private(set) var undecodable = 0
    /// Sends that libzmq refused (a full queue: the coordinator does not read).
    public private(set) var failedSends = 0
    private var closed = false

    /// Connects one DEALER per identity. `security` gives each member its own `ClientSecurity` (all `.none`
    /// or all CURVE); `ioThreads` is the context's I/O threads (CURVE's encryption runs on them).
    /// - Throws: `WireError(.transport)` for a bad endpoint or when the process runs out of sockets or file
    ///   descriptors (the message says which limit to raise), `WireError(.security)` for plain sockets off
    ///   this machine or bad keys.
    public init(connect endpoint: String, identities: [String], security: [ClientSecurity], ioThreads: Int = 1,
                decoder: MessagePackDecoder = .init()) throws {
        precondition(identities.count == security.count, "one ClientSecurity per identity")
        self.endpoint = endpoint
        self.decoder = decoder
        context = zmq_ctx_new()!
        zmq_ctx_set(context, ZMQ_MAX_SOCKETS, Int32(identities.count + 16))
        zmq_ctx_set(context, ZMQ_IO_THREADS, Int32(max(1, ioThreads)))
        sockets = []
        sockets.reserveCapacity(identities.count)
        do {
            for (identity, security) in zip(identities, security) {
                sockets.append(try Self.connect(context: context, endpoint: endpoint, identity: identity, security: security))
            }
        } catch {
            close()
            throw error
        }
    }

    private static func connect(context: UnsafeMutableRawPointer, endpoint: String, identity: String,
                                security: ClientSecurity) throws -> UnsafeMutableRawPointer {
        if case .none = security, !LocalEndpoint.isLocal(endpoint) {
            throw WireError(.security, "refusing to connect to \(endpoint) without CURVE: plain sockets are allowed only on "
                            + "loopback or ipc:// endpoints")
        }
        guard let socket = zmq_socket(context, ZMQ_DEALER) else {
            let errno = zmq_errno()
            let hint = errno == EMFILE ? " (too many open files: raise the limit, ulimit -n)" : ""
            throw WireError(.transport, "zmq_socket(DEALER): \(String(cString: zmq_strerror(errno)))\(hint)")
        }
        do {
            try ZeroMQOptions.dealer(socket, identity: identity, security: security)
            guard zmq_connect(socket, endpoint) == 0 else { throw ZeroMQContext.lastError("cannot connect to \(endpoint)") }
        } catch {
            zmq_close(socket)
            throw error
        }
        return socket
    }

    /// Sends `message` from member `index`; call only from `run`'s callbacks. Never blocks.
    public func send(_ message: WireMessage, from index: Int) {
        let payload = message.encoded()
        let sent = payload.withUnsafeBufferPointer { zmq_send(sockets[index], $0.baseAddress, payload.count, ZMQ_DONTWAIT) }
        if sent < 0 { failedSends += 1 }
        markDirty(index)  // a send can take in the socket's pending commands, and with them input (ZMQ_FD is edge-triggered)
    }

    private var dirty = [Int]()
    private var isDirty = [Bool]()

    private func markDirty(_ index: Int) {
        guard index < isDirty.count, !isDirty[index] else { return }
        isDirty[index] = true
        dirty.append(index)
    }

    /// Polls every member until `tick` returns false: each decoded message goes to `message` with its member's
    /// index, and `tick` runs every `tickInterval` seconds.
    ///
    /// On Linux the members' `ZMQ_FD` descriptors are watched with epoll, so a round costs what is ready,
    /// not what is connected (`zmq_poll` looks at every socket on every call: with 2,000 of them, that alone
    /// would limit the simulator). Elsewhere it falls back to `zmq_poll`.
    public func run(tickInterval: Double, message: (Int, WireMessage) -> Void, tick: () -> Bool) {
        isDirty = [Bool](repeating: false, count: sockets.count)
        for i in sockets.indices { markDirty(i) }
        let timeout = max(1, Int32(tickInterval * 1000))
        var lastTick = ProcessInfo.processInfo.systemUptime
        #if os(Linux)
        let epoll = anasod_epoll_create()
        defer { Foundation.close(epoll) }
        for (i, socket) in sockets.enumerated() {
            var fd: Int32 = -1
            var size = MemoryLayout<Int32>.size
            zmq_getsockopt(socket, ZMQ_FD, &fd, &size)
            _ = anasod_epoll_add(epoll, fd, UInt64(i))
        }
        var tokens = [UInt64](repeating: 0, count: 256)
        #else
        var items = sockets.map { socket -> zmq_pollitem_t in
            var item = zmq_pollitem_t()
            item.socket = socket
            item.events = Int16(ZMQ_POLLIN)
            return item
        }
        #endif
        while true {
            // Drain every member that may have input; callbacks' sends may add members to the list.
            while let i = dirty.popLast() {
                isDirty[i] = false
                receiveAll(i, message)
            }
            let now = ProcessInfo.processInfo.systemUptime
            if now - lastTick >= tickInterval {
                lastTick = now
                if !tick() { return }
                continue
            }
            let wait = Int32(max(0, min(Double(timeout), (lastTick + tickInterval - now) * 1000)).rounded(.up))
            #if os(Linux)
            let ready = tokens.withUnsafeMutableBufferPointer { anasod_epoll_wait(epoll, $0.baseAddress, 256, wait) }
            if ready > 0 { for k in 0..<Int(ready) { markDirty(Int(tokens[k])) } }
            #else
            if zmq_poll(&items, Int32(items.count), Int(wait)) > 0 {
                for i in items.indices where items[i].revents & Int16(ZMQ_POLLIN) != 0 { markDirty(i) }
            }
            #endif
        }
    }

    /// Reads every message waiting on member `i`, then checks its events once more (edge-triggered ZMQ_FD).
    private func receiveAll(_ i: Int, _ message: (Int, WireMessage) -> Void) {
        let socket = sockets[i]
        while true {
            while let frame = receiveFrame(socket) {
                var extra = frame.more
                while extra, let next = receiveFrame(socket) { extra = next.more }
                if let decoded = try? WireMessage.decode(frame.bytes, decoder: decoder) {
                    message(i, decoded)
                } else {
                    undecodable += 1
                }
            }
            var events: Int32 = 0
            var size = MemoryLayout<Int32>.size
            guard zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) == 0, events & Int32(ZMQ_POLLIN) != 0 else { return }
        }
    }

    /// Closes every member (what is queued is dropped) and the context.
    public func close() {
        guard !closed else { return }
        closed = true
        for socket in sockets {
            var linger: Int32 = 0
            zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
            zmq_close(socket)
        }
        sockets.removeAll()
        zmq_ctx_term(context)
    }

    deinit { close() }
}
