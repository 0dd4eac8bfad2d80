@testable import Cluster
import Foundation
import Journal
import TestSupport
import Testing
@testable import Wire

@Suite struct VersionRefusalTests {
    /// Delivers `bytes` from a peer to a running coordinator; returns the peer's first event and the
    /// coordinator's status after it.
    func deliver(_ bytes: [UInt8]) async throws -> (event: ClientEvent?, status: CoordinatorStatus) {
        var c = StudyConfiguration(study: "v")
        c.evaluator.kind = .synthetic
        c.budget = 1
        let cluster = try InProcessCluster(configuration: c, journal: InMemoryJournal())
        let server = cluster.server
        let coordinator = cluster.coordinator
        let client = server.connect(identity: "old")
        let inbox = Inbox<ClientEvent>()
        client.start { inbox.append($0) }
        cluster.start()
        defer { coordinator.stop() }
        try await coordinator.ready()
        server.deliver(bytes, from: client.peer)
        let event = inbox.wait(for: 1, timeout: 5).first
        // The refusal leaves before the loop publishes its counters.
        return (event, try await coordinator.status(where: { $0.refusals.malformed > 0 }, timeout: 5))
    }

    @Test func aPeerSpeakingAnotherVersionIsRefusedWithTheReason() async throws {
        let (event, _) = try await deliver(MessagePackEncoder.encode(.array([.uint(3), .uint(1), .map([])])))
        guard case .message(.refusal(let refusal))? = event else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.reason.contains("protocol version 3"))
    }

    /// A version-1 worker is refused in the version-1 envelope (which it can read): to this build, the
    /// refusal is a message of version 1.
    @Test func aVersionOnePeerIsRefusedInItsOwnVersion() async throws {
        let hello = MessagePackEncoder.encode(.array([.uint(1), .uint(1), .map([(.string("worker"), .string("old"))])]))
        let (event, status) = try await deliver(hello)
        guard case .rejected(let error)? = event else {
            Issue.record("no refusal")
            return
        }
        #expect(error.peerVersion == 1)
        #expect(status.refusals.malformed == 1)
    }
}
