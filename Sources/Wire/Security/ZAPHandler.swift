import CZeroMQ
import Foundation

/// The ZeroMQ Authentication Protocol handler (ZeroMQ RFC 27) of one context: a REP socket on
/// `inproc://zeromq.zap.01`, consulted by libzmq for every CURVE handshake on a server socket of that
/// context. It admits the public keys in its `CurveAllowList` ("Ironhouse") and reports every other key.
/// It must be bound before the server socket binds: with no handler, libzmq admits every CURVE client.
final class ZAPHandler: @unchecked Sendable {
    static let endpoint = "inproc://zeromq.zap.01"
    private let allowed: CurveAllowList
    private let lock = NSLock()
    private var stopping = false
    private var observer: (@Sendable (SecurityRefusal) -> Void)?
    private var pendingRefusals = [SecurityRefusal]()
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    init(context: ZeroMQContext, allowed: CurveAllowList) throws {
        self.allowed = allowed
        guard let socket = zmq_socket(context.handle, ZMQ_REP) else { throw ZeroMQContext.lastError("zmq_socket(ZAP REP)") }
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(socket, Self.endpoint) == 0 else {
            let error = ZeroMQContext.lastError("cannot bind the ZAP handler (\(Self.endpoint))")
            zmq_close(socket)
            throw error
        }
        let address = UInt(bitPattern: socket)
        let thread = Thread { [self] in
            serve(UnsafeMutableRawPointer(bitPattern: address)!)
        }
        thread.name = "anasod.zap"
        thread.start()
        started = true
    }

    /// Where refusals go from now on (those seen before are delivered at once).
    func observe(_ handler: @escaping @Sendable (SecurityRefusal) -> Void) {
        let pending = lock.withLock {
            observer = handler
            defer { pendingRefusals.removeAll() }
            return pendingRefusals
        }
        for refusal in pending { handler(refusal) }
    }

    func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first && started { finished.wait() }
    }

    private func serve(_ socket: UnsafeMutableRawPointer) {
        defer {
            zmq_close(socket)
            finished.signal()
        }
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while !lock.withLock({ stopping }) {
            guard zmq_poll(&item, 1, 100) > 0 else { continue }
            var frames = [[UInt8]]()
            var more = true
            while more, let frame = receiveFrame(socket) {
                if frames.count < 16 { frames.append(frame.bytes) }
                more = frame.more
            }
            let reply = answer(frames)
            for (index, frame) in reply.enumerated() {
                _ = frame.withUnsafeBufferPointer {
                    zmq_send(socket, $0.baseAddress, frame.count, index < reply.count - 1 ? ZMQ_SNDMORE : 0)
                }
            }
        }
    }

    /// Request: version, request id, domain, address, routing id, mechanism, credentials…;
    /// reply: version, request id, status code, status text, user id, metadata.
    private func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
        let version = Array("1.0".utf8)
        guard frames.count >= 6, frames[0] == version else {
            // Not from libzmq: answer in shape so that the REP socket stays usable.
            return [version, frames.count > 1 ? frames[1] : [], Array("500".utf8), Array("bad ZAP request".utf8), [], []]
        }
        let requestID = frames[1]
        let address = String(decoding: frames[3], as: UTF8.self)
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        func refuse(_ refusal: SecurityRefusal) -> [[UInt8]] {
            report(refusal)
            return [version, requestID, Array("400".utf8), Array(refusal.detail.utf8), [], []]
        }
        guard mechanism == "CURVE", frames.count >= 7, let key = CurveKeyPair.z85(frames[6]) else {
            return refuse(SecurityRefusal(kind: .failedHandshake, address: address,
                                          detail: "mechanism \(mechanism) is not accepted (CURVE only)"))
        }
        guard allowed.name(of: key) != nil else {
            return refuse(SecurityRefusal(kind: .unknownKey, key: key, address: address,
                                          detail: "public key \(key) is not in the coordinator's workers/ folder"))
        }
        // The user id travels with every message of the connection ("User-Id"): the socket thread
        // checks it against the allow-list again, so that a revoked key stops counting at once.
        return [version, requestID, Array("200".utf8), Array("OK".utf8), Array(key.utf8), []]
    }

    private func report(_ refusal: SecurityRefusal) {
        let handler: (@Sendable (SecurityRefusal) -> Void)? = lock.withLock {
            if observer == nil, pendingRefusals.count < 1000 { pendingRefusals.append(refusal) }
            return observer
        }
        handler?(refusal)
    }
}
