import ANASOD
@testable import Cluster
import CZeroMQ
import Foundation
import Journal
import TestSupport
import Testing
import Wire

/// A raw DEALER for the harness: sends any bytes, blocking (nothing dropped at its high-water mark).
/// With `curve` it speaks CurveZMQ with that key pair to the server key; without `reconnect` it makes one
/// connection attempt only (so that a refused handshake is refused exactly once).
final class RawPeer: @unchecked Sendable {
    let context: UnsafeMutableRawPointer
    let socket: UnsafeMutableRawPointer

    init(_ endpoint: String, identity: String, curve: (own: CurveKeyPair, server: String)? = nil, reconnect: Bool = true) throws {
        context = zmq_ctx_new()!
        socket = zmq_socket(context, ZMQ_DEALER)!
        let id = Array(identity.utf8)
        zmq_setsockopt(socket, ZMQ_ROUTING_ID, id, id.count)
        var hwm: Int32 = 0  // no limit: every frame is queued
        zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, 4)
        var linger: Int32 = reconnect ? 5000 : 0  // a refused peer's queue never leaves: do not wait on it
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        if !reconnect {
            var never: Int32 = -1
            zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &never, 4)
        }
        if let curve {
            for (option, key) in [(ZMQ_CURVE_SERVERKEY, curve.server), (ZMQ_CURVE_PUBLICKEY, curve.own.publicKey),
                                  (ZMQ_CURVE_SECRETKEY, curve.own.secretKey!)] {
                let bytes = Array(key.utf8)
                zmq_setsockopt(socket, option, bytes, bytes.count)
            }
        }
        guard zmq_connect(socket, endpoint) == 0 else { throw WireError(.transport, "connect \(endpoint)") }
    }

    /// - Parameter blocking: wait for room (and for a peer: a DEALER whose only connection was refused has
    ///   none, and a blocking send would wait forever).
    func send(_ bytes: [UInt8], blocking: Bool = true) {
        _ = bytes.withUnsafeBufferPointer { zmq_send(socket, $0.baseAddress, bytes.count, blocking ? 0 : ZMQ_DONTWAIT) }
    }

    func send(_ message: WireMessage, blocking: Bool = true) { send(message.encoded(), blocking: blocking) }

    private var closed = false

    /// Closes the socket at once (nothing queued is sent), as a killed process would.
    func close() {
        guard !closed else { return }
        closed = true
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        zmq_close(socket)
        zmq_ctx_term(context)
    }

    deinit {
        guard !closed else { return }
        zmq_close(socket)
        zmq_ctx_term(context)
    }
}

/// The trust harness of issue 12 over real ZeroMQ tcp on loopback, CURVE on: a peer without keys and a
/// peer with a key the coordinator does not admit are turned away at the handshake; with admitted keys, a
/// peer that never says hello forges results, a welcomed peer reports for leases it does not hold and
/// claims jobs, and a fuzzer floods 100,000 random and mutated frames. The study still completes with
/// exactly its budget, every result from an honest worker's lease, and the coordinator's refusal counters
/// match what was sent.
@Suite(.serialized) struct HostilePeerTests {
    @Test func forgedClaimedAndFuzzedMessagesChangeNothingAndAreCounted() async throws {
        let coordinatorKeys = try CurveKeyPair.generate()
        let admitted = try (0..<5).map { _ in try CurveKeyPair.generate() }  // stranger, insider, fuzzer, 2 honest
        let allowed = CurveAllowList(Dictionary(uniqueKeysWithValues: admitted.enumerated().map { ($1.publicKey, "key-\($0)") }))
        func curve(_ i: Int) -> (own: CurveKeyPair, server: String) { (admitted[i], coordinatorKeys.publicKey) }
        var c = StudyConfiguration(study: "hostile")
        c.budget = 40
        c.strategy = .init(.anasodBO)
        c.evaluator.kind = .synthetic
        c.evaluator.seconds = 0.02
        c.heartbeatInterval = 0.2
        c.workerTimeout = 3
        let server = try ZeroMQServer(bind: "tcp://127.0.0.1:0", security: .curve(coordinatorKeys, allowed: allowed))
        let journal = InMemoryJournal()
        let cluster = try InProcessCluster(configuration: c, journal: journal, transport: server)
        let coordinator = cluster.coordinator
        cluster.start()

        // 0. No keys, and a key the coordinator does not admit: turned away at the handshake, once each
        //    (they do not reconnect); the results they queued are never read.
        let keyless = try RawPeer(server.endpoint, identity: "keyless", reconnect: false)
        let unknown = try RawPeer(server.endpoint, identity: "unknown", curve: (try CurveKeyPair.generate(), coordinatorKeys.publicKey),
                                  reconnect: false)
        for peer in [keyless, unknown] {
            for id in UInt64(1)...50 {
                peer.send(.result(JobResult(key: JobKey(jobID: id, attempt: 1), validationError: 0, trainSeconds: 0)), blocking: false)
            }
        }
        // 1. A stranger with an admitted key that never says hello forges 300 perfect results.
        let stranger = try RawPeer(server.endpoint, identity: "stranger", curve: curve(0))
        for id in UInt64(1)...300 {
            stranger.send(.result(JobResult(key: JobKey(jobID: id, attempt: 1), validationError: 0, trainSeconds: 0)))
        }
        // 2. An insider is welcomed, claims a job it never had, then reports for leases it does not hold:
        //    10 invalid messages evict it; the 5 after that count as unwelcomed.
        let insider = try RawPeer(server.endpoint, identity: "insider", curve: curve(1))
        insider.send(.hello(Hello(workerID: "insider", host: "h", slots: 1, evaluators: [Capability(kind: .synthetic)], software: "x",
                                  heldJobs: [JobKey(jobID: 3, attempt: 1)])))
        _ = try await coordinator.status(where: { $0.workers == 1 }, timeout: 30)  // welcomed: what it sends next counts as its own
        for id in UInt64(1)...15 {
            if id % 3 == 0 {
                insider.send(.failure(JobFailure(key: JobKey(jobID: id, attempt: 1), reason: "x", class: .architecture)))
            } else if id % 3 == 1 {
                insider.send(.progress(Progress(key: JobKey(jobID: id, attempt: 1), epoch: 1, seconds: 1)))
            } else {
                insider.send(.result(JobResult(key: JobKey(jobID: id, attempt: 1), validationError: 0, trainSeconds: 0)))
            }
        }
        // 3. A fuzzer: random frames and mutations of valid ones; a frame that happens to decode as a hello is
        //    not sent (that would make the fuzzer a worker), so each frame is either malformed or unwelcomed.
        let fuzzer = try RawPeer(server.endpoint, identity: "fuzzer", curve: curve(2))
        var rng = SeededGenerator(seed: 12)
        let samples: [[UInt8]] = [
            WireMessage.result(JobResult(key: JobKey(jobID: 2, attempt: 1), validationError: 5, testError: 6, trainSeconds: 1,
                                         parameters: 10, flops: 20)).encoded(),
            WireMessage.request(JobRequest(slots: 3)).encoded(),
            WireMessage.heartbeat(Heartbeat(sent: 1, running: [JobKey(jobID: 1, attempt: 1)])).encoded(),
            WireMessage.failure(JobFailure(key: JobKey(jobID: 4, attempt: 1), reason: "r", class: .transient, log: "l")).encoded(),
        ]
        var expectedMalformed = 0
        var expectedUnwelcomed = 0
        var sent = 0
        while sent < 100_000 {
            var frame: [UInt8]
            if sent % 2 == 0 {
                frame = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                frame = samples[sent % samples.count]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: frame[Int.random(in: 0..<frame.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    case 1: frame = Array(frame.prefix(Int.random(in: 0..<frame.count, using: &rng)))
                    default: frame.append(UInt8.random(in: 0...255, using: &rng))
                    }
                    if frame.isEmpty { frame = [0xc1] }
                }
            }
            let decoded = try? WireMessage.decode(frame)
            if case .hello? = decoded { continue }
            if decoded == nil { expectedMalformed += 1 } else { expectedUnwelcomed += 1 }
            fuzzer.send(frame)
            sent += 1
        }
        // A frame over ZMQ_MAXMSGSIZE: ZeroMQ drops the connection before buffering it (not counted).
        fuzzer.send([UInt8](repeating: 0x91, count: 4 << 20))

        var expected = RefusalCounts()
        expected.unwelcomed = 300 + 5 + expectedUnwelcomed
        expected.notLeaseHolder = 10
        expected.refusedAdoptions = 1
        expected.malformed = expectedMalformed
        expected.evictedWorkers = 1
        expected.failedHandshakes = 1
        expected.unknownKeys = 1
        // Every hostile frame is handled before the honest workers start, so the counts are exact.
        let target = expected
        _ = try? await coordinator.status(where: { $0.refusals == target }, timeout: 60)  // on a time-out the line below says what differs
        #expect(coordinator.status.refusals == expected)
        #expect(coordinator.status.successes == 0)

        for i in 0..<2 {
            let security = ClientSecurity.curve(admitted[3 + i], coordinator: coordinatorKeys.publicKey)
            cluster.addWorker(id: "honest-\(i)", slots: 2,
                              transport: try ZeroMQClient(connect: server.endpoint, identity: "honest-\(i)", security: security))
        }
        let status = try await cluster.finish()

        #expect(status.successes == 40)
        #expect(status.refusals == expected)
        var results = [UInt64]()
        var workers = Set<String>()
        for case .result(let job, _, let worker, let metrics, _) in try journal.records() {
            results.append(job)
            workers.insert(worker)
            #expect(metrics.validationError > 0)  // the synthetic objective; the forgeries said 0
        }
        #expect(results.count == 40)
        #expect(Set(results).count == 40)
        #expect(workers.isSubset(of: ["honest-0", "honest-1"]))
    }
}
