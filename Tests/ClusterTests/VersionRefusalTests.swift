@testable import Cluster
import Foundation
import Journal
import Logging
import Testing
@testable import Wire

final class ClientInbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var events = [ClientEvent]()
    func add(_ e: ClientEvent) { condition.lock(); events.append(e); condition.signal(); condition.unlock() }
    func first(timeout: Double) -> ClientEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty && condition.wait(until: deadline) {}
        return events.first
    }
}

@Suite struct VersionRefusalTests {
    @Test func aPeerSpeakingAnotherVersionIsRefusedWithTheReason() throws {
        var c = StudyConfiguration(study: "v")
        c.evaluator.kind = "synthetic"
        c.budget = 1
        let server = InMemoryServer()
        let coordinator = try Coordinator(configuration: c, journal: InMemoryJournal(), transport: server, resume: false,
                                          logger: Logger(label: "test"))
        let client = server.connect(identity: "old")
        let inbox = ClientInbox()
        client.start { inbox.add($0) }
        let thread = Thread { _ = try? coordinator.run() }
        thread.start()
        defer { coordinator.stop() }
        Thread.sleep(forTimeInterval: 0.1)  // the coordinator has started its transport
        let v2 = MessagePackEncoder.encode(.array([.uint(2), .uint(1), .map([])]))
        server.deliver(v2, from: client.peer)
        guard case .message(.refusal(let refusal))? = inbox.first(timeout: 5) else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.reason.contains("protocol version 2"))
    }
}
