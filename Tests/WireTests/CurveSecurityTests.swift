import CZeroMQ
import Foundation
import TestSupport
import Testing
@testable import Wire

/// CurveZMQ certificates on disk and the Ironhouse pattern over real tcp sockets: only admitted keys get
/// in, everyone else is turned away at the handshake and reported, a revoked key stops counting at once.
@Suite(.serialized) struct CurveSecurityTests {
    let folder = NSTemporaryDirectory() + "anasod-curve-\(UUID().uuidString.prefix(8))"

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    func mode(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
    }

    @Test func libzmqHasCurve() {
        #expect(CurveSupport.available)
    }

    @Test func aGeneratedPairRoundTripsThroughItsCertificates() throws {
        let pair = try CurveKeyPair.generate()
        #expect(CurveKeyPair.isValid(pair.publicKey) && CurveKeyPair.isValid(pair.secretKey!))
        #expect(try CurveKeyPair(secretKey: pair.secretKey!).publicKey == pair.publicKey)
        let base = folder + "/node"
        try CurveCertificate.write(pair, base: base, name: "node")
        #expect(try mode(base + ".key_secret") == 0o600)
        #expect(try mode(base + ".key") == 0o644)
        #expect(try CurveCertificate.read(base + ".key_secret", requireSecret: true) == pair)
        let publicOnly = try CurveCertificate.read(base + ".key")
        #expect(publicOnly.publicKey == pair.publicKey && publicOnly.secretKey == nil)
        // The public certificate holds no secret; asking it for one is a clear error.
        #expect(throws: WireError.self) { try CurveCertificate.read(base + ".key", requireSecret: true) }
        // Never replaced by accident.
        let again = #expect(throws: WireError.self) { try CurveCertificate.write(try CurveKeyPair.generate(), base: base, name: "node") }
        #expect(again?.message.contains("already exists") == true)
        #expect(try CurveCertificate.read(base + ".key_secret", requireSecret: true) == pair)
    }

    /// The files other ZeroMQ tools write: CZMQ's zcert_save and pyzmq's zmq.auth.create_certificates.
    @Test func certificatesWrittenByCZMQAndPyzmqAreRead() throws {
        let pair = try CurveKeyPair.generate()
        let czmq = """
            #   ****  Generated on 2026-01-02 10:00:00 by CZMQ  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
                name = "czmq"
            curve
                public-key = "\(pair.publicKey)"
                secret-key = "\(pair.secretKey!)"

            """
        let pyzmq = """
            #   ****  Generated on 2026-01-02 10:00:00.123456 by pyzmq  ****
            #   ZeroMQ CURVE Public Certificate
            #   Exchange securely, or use a secure mechanism to verify the contents
            #   of this file after exchange. Store public certificates in your home
            #   directory, in the .curve subdirectory.

            metadata
            curve
                public-key = "\(pair.publicKey)"

            """
        try czmq.write(toFile: folder + "/czmq.key_secret", atomically: true, encoding: .utf8)
        chmod(folder + "/czmq.key_secret", 0o600)
        try pyzmq.write(toFile: folder + "/pyzmq.key", atomically: true, encoding: .utf8)
        #expect(try CurveCertificate.read(folder + "/czmq.key_secret", requireSecret: true) == pair)
        #expect(try CurveCertificate.read(folder + "/pyzmq.key").publicKey == pair.publicKey)
    }

    @Test func unusableCertificatesAreClearErrors() throws {
        let pair = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        func write(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
            let path = folder + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, mode)
            return path
        }
        let cases: [(String, String)] = [
            (try write("open.key_secret", "curve\n    public-key = \"\(pair.publicKey)\"\n    secret-key = \"\(pair.secretKey!)\"\n",
                       mode: 0o644), "readable by others"),
            (try write("mismatch.key_secret", "curve\n    public-key = \"\(other.publicKey)\"\n    secret-key = \"\(pair.secretKey!)\"\n"),
             "does not belong"),
            (try write("short.key", "curve\n    public-key = \"abc\"\n"), "40 characters"),
            (try write("empty.key", "# nothing\n"), "no curve public-key"),
            (try write("twice.key", "curve\n    public-key = \"\(pair.publicKey)\"\n    public-key = \"\(pair.publicKey)\"\n"),
             "a second public-key"),
            (folder + "/missing.key", "cannot be read"),
        ]
        for (path, words) in cases {
            let error = #expect(throws: WireError.self) {
                try CurveCertificate.read(path, requireSecret: path.hasSuffix("_secret"))
            }
            #expect(error?.message.contains(words) == true, "\(path): \(error?.message ?? "no error")")
            #expect(error?.message.contains(path) == true)
        }
        // A secret key is never printed in an error.
        let error = #expect(throws: WireError.self) { try CurveCertificate.read(folder + "/mismatch.key_secret", requireSecret: true) }
        #expect(error?.message.contains(pair.secretKey!) == false)
    }

    @Test func plainSocketsOnlyOnThisMachine() throws {
        for local in ["tcp://127.0.0.1:0", "tcp://127.3.4.5:9", "tcp://localhost:0", "tcp://[::1]:7", "ipc:///tmp/x.ipc"] {
            #expect(LocalEndpoint.isLocal(local), "\(local)")
        }
        for open in ["tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.1:1", "tcp://127.0.0.1.example.org:1", "tcp://eth0:1",
                     "tcp://[::]:1"] {
            #expect(!LocalEndpoint.isLocal(open), "\(open)")
        }
        let error = #expect(throws: WireError.self) { try ZeroMQServer(bind: "tcp://0.0.0.0:0", security: .none) }
        #expect(error?.code == .security)
        #expect(throws: WireError.self) { try ZeroMQClient(connect: "tcp://10.1.2.3:5555", identity: "w", security: .none) }
    }

    struct Setup {
        let server: ZeroMQServer
        let coordinator: CurveKeyPair
        let admitted: CurveKeyPair
        let allowed: CurveAllowList
        let events = Inbox<ServerEvent>()
    }

    func setUp() throws -> Setup {
        let coordinator = try CurveKeyPair.generate()
        let admitted = try CurveKeyPair.generate()
        let allowed = CurveAllowList([admitted.publicKey: "admitted"])
        let server = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .curve(coordinator, allowed: allowed))
        let setup = Setup(server: server, coordinator: coordinator, admitted: admitted, allowed: allowed)
        server.start { [events = setup.events] in events.append($0) }
        return setup
    }

    func refusals(_ events: [ServerEvent]) -> [SecurityRefusal] {
        events.compactMap { if case .security(let r) = $0 { r } else { nil } }
    }

    func messages(_ events: [ServerEvent]) -> Int {
        events.filter { if case .message = $0 { true } else { false } }.count
    }

    @Test func anAdmittedKeyGetsInAndAnUnknownKeyIsRefusedAndNamed() async throws {
        try await offPool { try Self.anAdmittedKeyGetsInAndAnUnknownKeyIsRefusedAndNamed(self) }
    }

    static func anAdmittedKeyGetsInAndAnUnknownKeyIsRefusedAndNamed(_ t: CurveSecurityTests) throws {
        let s = try t.setUp()
        defer { s.server.close() }
        let stranger = try CurveKeyPair.generate()
        let refused = try ZeroMQClient(connect: s.server.endpoint, identity: "stranger",
                                       security: .curve(stranger, coordinator: s.coordinator.publicKey))
        let clientEvents = Inbox<ClientEvent>()
        refused.start { clientEvents.append($0) }
        defer { refused.close() }
        refused.send(.request(JobRequest(slots: 1)))
        let seen = t.refusals(s.events.wait(for: 1))
        #expect(seen.first?.kind == .unknownKey)
        #expect(seen.first?.key == stranger.publicKey)
        // The refused worker is told what to do.
        guard case .security(let reason)? = clientEvents.wait(for: 1).first else { Issue.record("no client event"); return }
        #expect(reason.contains("refused this worker's key"))

        let client = try ZeroMQClient(connect: s.server.endpoint, identity: "admitted",
                                      security: .curve(s.admitted, coordinator: s.coordinator.publicKey))
        client.start { _ in }
        defer { client.close() }
        client.send(.request(JobRequest(slots: 2)))
        let events = s.events.wait(for: seen.count + 1)
        #expect(t.messages(events) == 1)  // the admitted client's request; nothing from the stranger
    }

    @Test func aPeerWithoutKeysOrWithTheWrongCoordinatorKeyFailsTheHandshake() async throws {
        try await offPool { try Self.aPeerWithoutKeysOrWithTheWrongCoordinatorKeyFailsTheHandshake(self) }
    }

    static func aPeerWithoutKeysOrWithTheWrongCoordinatorKeyFailsTheHandshake(_ t: CurveSecurityTests) throws {
        let s = try t.setUp()
        defer { s.server.close() }
        let plain = RawSocket(s.server.endpoint, curve: nil)
        plain.send(WireMessage.request(JobRequest(slots: 1)).encoded())
        let first = t.refusals(s.events.wait(for: 1))
        #expect(first.first?.kind == .failedHandshake)
        // The server sees the mechanism mismatch, or (when the client hung up first) the broken connection.
        #expect(first.first.map { $0.detail.contains("disagree on CURVE") || $0.detail.contains("during the handshake") } == true)
        plain.close()

        // An admitted key talking to what it believes is another coordinator: the server cannot decrypt.
        let impostorServer = try CurveKeyPair.generate()
        let wrong = RawSocket(s.server.endpoint, curve: (s.admitted, impostorServer.publicKey))
        wrong.send(WireMessage.request(JobRequest(slots: 1)).encoded())
        let events = s.events.wait(for: first.count + 1)
        #expect(t.refusals(events).count >= 2)
        #expect(t.refusals(events).last?.kind == .failedHandshake)
        #expect(t.messages(events) == 0)
        wrong.close()
    }

    @Test func aRevokedKeyStopsCountingOnItsOpenConnection() async throws {
        try await offPool { try Self.aRevokedKeyStopsCountingOnItsOpenConnection(self) }
    }

    static func aRevokedKeyStopsCountingOnItsOpenConnection(_ t: CurveSecurityTests) throws {
        let s = try t.setUp()
        defer { s.server.close() }
        let client = try ZeroMQClient(connect: s.server.endpoint, identity: "soon-revoked",
                                      security: .curve(s.admitted, coordinator: s.coordinator.publicKey))
        client.start { _ in }
        defer { client.close() }
        client.send(.request(JobRequest(slots: 1)))
        #expect(t.messages(s.events.wait(for: 1)) == 1)
        s.allowed.replace([:])
        client.send(.request(JobRequest(slots: 1)))
        let events = s.events.wait(for: 2)
        #expect(t.messages(events) == 1)
        let revoked = t.refusals(events).first
        #expect(revoked?.kind == .revokedKey)
        #expect(revoked?.key == s.admitted.publicKey)
        #expect(revoked?.peer?.bytes == Array("soon-revoked".utf8))
    }
}

/// A DEALER with its own context and one connection attempt, for handshakes that must fail.
final class RawSocket {
    let context = zmq_ctx_new()!
    let socket: UnsafeMutableRawPointer

    init(_ endpoint: String, curve: (own: CurveKeyPair, server: String)?) {
        socket = zmq_socket(context, ZMQ_DEALER)!
        var never: Int32 = -1
        zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &never, 4)
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        if let curve {
            for (option, key) in [(ZMQ_CURVE_SERVERKEY, curve.server), (ZMQ_CURVE_PUBLICKEY, curve.own.publicKey),
                                  (ZMQ_CURVE_SECRETKEY, curve.own.secretKey!)] {
                let bytes = Array(key.utf8)
                zmq_setsockopt(socket, option, bytes, bytes.count)
            }
        }
        zmq_connect(socket, endpoint)
    }

    func send(_ bytes: [UInt8]) { _ = zmq_send(socket, bytes, bytes.count, ZMQ_DONTWAIT) }

    func close() {
        zmq_close(socket)
        zmq_ctx_term(context)
    }
}
