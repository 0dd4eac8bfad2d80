@testable import Cluster
import Foundation
import Journal
import TestSupport
import Testing
@testable import Wire

@Suite struct VersionRefusalTests {
    /// Delivers `bytes` from a peer to a running coordinator; returns the peer's first event and the
    /// coordinator's status after it.
    func deliver(_ bytes: [UInt8]) throws -> (event: ClientEvent?, status: CoordinatorStatus) {
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
        Thread.sleep(forTimeInterval: 0.1)  // the coordinator has started its transport
        server.deliver(bytes, from: client.peer)
        let event = inbox.wait(for: 1, timeout: 5).first
        // The refusal leaves before the loop publishes its counters: give it a moment.
        let published = Date().addingTimeInterval(2)
        while coordinator.status.refusals.malformed == 0 && Date() < published { Thread.sleep(forTimeInterval: 0.01) }
        return (event, coordinator.status)
    }

    @Test func aPeerSpeakingAnotherVersionIsRefusedWithTheReason() throws {
        let (event, _) = try deliver(MessagePackEncoder.encode(.array([.uint(3), .uint(1), .map([])])))
        guard case .message(.refusal(let refusal))? = event else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.reason.contains("protocol version 3"))
    }

    /// A version-1 worker is refused in the version-1 envelope (which it can read): to this build, the
    /// refusal is a message of version 1.
    @Test func aVersionOnePeerIsRefusedInItsOwnVersion() throws {
        let hello = MessagePackEncoder.encode(.array([.uint(1), .uint(1), .map([(.string("worker"), .string("old"))])]))
        let (event, status) = try deliver(hello)
        guard case .rejected(let error)? = event else {
            Issue.record("no refusal")
            return
        }
        #expect(error.peerVersion == 1)
        #expect(status.refusals.malformed == 1)
    }
}
