import ANASOD
import CZeroMQ
import Foundation
import TestSupport
import Testing
@testable import Wire

/// One shared suite over every transport implementation.
@Suite(.serialized) struct TransportTests {
    enum Kind: String, CaseIterable, Sendable { case tcp, curve, ipc, memory }

    func make(_ kind: Kind) throws -> (server: any ServerTransport, client: (String) throws -> any ClientTransport) {
        switch kind {
        case .tcp:
            let server = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .none)
            return (server, { try ZeroMQClient(connect: server.endpoint, identity: $0, security: .none) })
        case .curve:
            let coordinator = try CurveKeyPair.generate()
            let worker = try CurveKeyPair.generate()
            let server = try ZeroMQServer(bind: "tcp://127.0.0.1:0",
                                          security: .curve(coordinator, allowed: CurveAllowList([worker.publicKey: "w"])))
            return (server, { try ZeroMQClient(connect: server.endpoint, identity: $0,
                                               security: .curve(worker, coordinator: coordinator.publicKey)) })
        case .ipc:
            let server = try ZeroMQServer(bind: "ipc://\(NSTemporaryDirectory())anasod-test-\(UUID().uuidString.prefix(8)).ipc", security: .none)
            return (server, { try ZeroMQClient(connect: server.endpoint, identity: $0, security: .none) })
        case .memory:
            let server = InMemoryServer()
            return (server, { server.connect(identity: $0) })
        }
    }

    @Test(arguments: Kind.allCases)
    func requestAndReply(kind: Kind) throws {
        let (server, connect) = try make(kind)
        defer { server.close() }
        let serverInbox = Inbox<ServerEvent>()
        server.start { serverInbox.append($0) }
        let client = try connect("worker-1")
        defer { client.close() }
        let clientInbox = Inbox<ClientEvent>()
        client.start { clientInbox.append($0) }

        let hello = WireMessage.hello(Hello(workerID: "worker-1", host: "here", slots: 2, evaluators: [Capability(kind: .table)], software: "t"))
        client.send(hello)
        let received = serverInbox.wait(for: 1)
        guard case .message(let peer, let message)? = received.first else { Issue.record("no hello: \(received)"); return }
        #expect(message == hello)
        #expect(peer.bytes == Array("worker-1".utf8))

        let welcome = WireMessage.welcome(Welcome(workerID: "worker-1", studyID: "s", heartbeatInterval: 1, software: "t"))
        server.send(welcome, to: peer)
        let replies = clientInbox.wait(for: 1)
        guard case .message(let reply)? = replies.first else { Issue.record("no welcome"); return }
        #expect(reply == welcome)
    }

    @Test(arguments: Kind.allCases)
    func aBurstArrivesCompleteAndInOrder(kind: Kind) throws {
        let (server, connect) = try make(kind)
        defer { server.close() }
        let serverInbox = Inbox<ServerEvent>()
        server.start { serverInbox.append($0) }
        let client = try connect("w")
        defer { client.close() }
        let clientInbox = Inbox<ClientEvent>()
        client.start { clientInbox.append($0) }
        let n = 10_000
        for i in 0..<n { client.send(.request(JobRequest(slots: i % 4096))) }
        let events = serverInbox.wait(for: n)
        #expect(events.count == n)
        var peer: PeerID?
        for (i, event) in events.enumerated() {
            guard case .message(let p, .request(let r)) = event else { Issue.record("event \(i): \(event)"); break }
            #expect(r.slots == i % 4096)
            peer = p
        }
        guard let peer else { return }
        for i in 0..<n { server.send(.cancel(JobCancel(key: JobKey(jobID: UInt64(i), attempt: 1))), to: peer) }
        let back = clientInbox.wait(for: n)
        #expect(back.count == n)
        for (i, event) in back.enumerated() {
            guard case .message(.cancel(let c)) = event, c.key.jobID == UInt64(i) else { Issue.record("reply \(i)"); break }
        }
    }

    @Test(arguments: Kind.allCases)
    func sendingToAnUnknownPeerIsReported(kind: Kind) throws {
        let (server, _) = try make(kind)
        defer { server.close() }
        let inbox = Inbox<ServerEvent>()
        server.start { inbox.append($0) }
        server.send(.shutdown(Shutdown(reason: "x")), to: PeerID(Array("nobody".utf8)))
        let events = inbox.wait(for: 1)
        guard case .unreachable(let peer)? = events.first else { Issue.record("\(events)"); return }
        #expect(peer == PeerID(Array("nobody".utf8)))
    }

    @Test func garbageFromARawPeerIsRejectedNotFatal() throws {
        let server = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .none)
        defer { server.close() }
        let inbox = Inbox<ServerEvent>()
        server.start { inbox.append($0) }
        let context = ZeroMQContext.shared
        let raw = zmq_socket(context.handle, ZMQ_DEALER)!
        defer { zmq_close(raw) }
        var linger: Int32 = 0
        zmq_setsockopt(raw, ZMQ_LINGER, &linger, 4)
        #expect(zmq_connect(raw, server.endpoint) == 0)
        let garbage: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        _ = zmq_send(raw, garbage, garbage.count, 0)
        let valid = WireMessage.request(JobRequest(slots: 1)).encoded()
        _ = zmq_send(raw, valid, valid.count, 0)
        let events = inbox.wait(for: 2)
        guard events.count == 2, case .rejected = events[0], case .message(_, .request) = events[1] else {
            Issue.record("\(events)"); return
        }
    }

    @Test func aTakenPortIsAClearError() throws {
        let first = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .none)
        defer { first.close() }
        #expect(throws: WireError.self) { try ZeroMQServer(bind: first.endpoint, security: .none) }
        #expect(throws: WireError.self) { try ZeroMQServer(bind: "nonsense://x", security: .none) }
    }
}
