import Dashboard
import Foundation
import Journal
import Logging
import ServiceLifecycle
import Testing

@testable import Cluster

/// `anasod status`'s sources: the live state from the dashboard recorded beside the journal while its
/// coordinator runs (`DashboardService` writes and removes the address), else the journal, saying why.
@Suite(.serialized) struct StudyStatusTests {
    static func journal() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString).sqlite")
            .path
        let journal = try SQLiteJournal(path: path)
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        try journal.append([.proposed(call: 0, jobs: [.init(job: 1, architecture: "|a|", encoding: [[1]])])])
        return path
    }

    static let status = CoordinatorStatus(
        study: "s", budget: 10, successes: 4, failed: 0, running: 1, queued: 0, workers: 1,
        best: nil, finished: false, elapsed: 3)

    @Test func withoutADashboardTheJournalIsShown() async throws {
        let path = try Self.journal()
        defer { DashboardHardeningTests.remove(path) }
        let view = try await StudyStatus.snapshot(journal: path)
        #expect(view.lines == ["study s: 0 done, 0 running, 1 queued, 0 failed"])
        #expect(!view.finished)
    }

    @Test func aRunningDashboardIsAskedAndItsAddressGoesWithIt() async throws {
        let path = try Self.journal()
        defer { DashboardHardeningTests.remove(path) }
        let service = DashboardService(study: "s")
        try await service.start("127.0.0.1:0", journal: path, logger: Logger(label: "status"), status: { Self.status })
        let file = DashboardService.addressFile(forJournal: path)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the address file is readable by others")
        let live = try await StudyStatus.snapshot(journal: path)
        #expect(live.lines.first?.hasPrefix("study s: 4/10 done") == true, "\(live.lines)")
        #expect(live.lines.last?.hasPrefix("(live, from the coordinator's dashboard http://127.0.0.1:") == true)
        // The group's shutdown stops it and removes the address.
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "status")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try await StudyStatus.snapshot(journal: path).lines.count == 1)
    }

    @Test func aDashboardThatDoesNotAnswerOrCannotBeReadIsSaid() async throws {
        let path = try Self.journal()
        defer { DashboardHardeningTests.remove(path) }
        let file = DashboardService.addressFile(forJournal: path)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // A port nothing listens on (the dashboard's coordinator was killed).
        try "http://127.0.0.1:9/\n".write(toFile: file, atomically: true, encoding: .utf8)
        let silent = try await StudyStatus.snapshot(journal: path)
        #expect(silent.lines.last == "(from the journal: the dashboard recorded beside it did not answer)")
        // A folder where the address file should be: it cannot be read, and the journal is shown with why.
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        let unreadable = try await StudyStatus.snapshot(journal: path)
        #expect(unreadable.lines.count == 2)
        #expect(
            unreadable.lines.last?.hasPrefix("(from the journal: cannot read the dashboard's address in '\(file)'")
                == true,
            "\(unreadable.lines)")
    }
}
