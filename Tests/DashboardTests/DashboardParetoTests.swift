import Cluster
@testable import Dashboard
import Evaluation
import Foundation
import Journal
import TestSupport
import Testing

/// The live page of a study of several objectives (issue 30) shows its Pareto front in a line above the plots,
/// and the front and hypervolume plots among them.
@Suite(.serialized) struct DashboardParetoTests {
    static let nb201Directory: String = {
        if let dir = ProcessInfo.processInfo.environment["ANASOD_NB201_DIR"] { return dir }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/nb201").path
    }()
    static var tableAvailable: Bool { FileManager.default.fileExists(atPath: nb201Directory + "/cifar10.csv") }

    @Test(.enabled(if: DashboardParetoTests.tableAvailable, "needs the NB201 tables (../shared/data/nb201 or $ANASOD_NB201_DIR)"))
    func theLivePageShowsTheFront() async throws {
        var c = try StudyConfiguration(yaml: "study: front\nstrategy: anasod-bo-2s\nbudget: 16\n"
                                       + "objective: {minimize: [val_error, params]}\n", source: "t.yaml")
        c.heartbeatInterval = 0.2
        c.workerTimeout = 2
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("front-\(UUID().uuidString).sqlite").path
        defer { DashboardHardeningTests.remove(path) }
        let journal = try SQLiteJournal(path: path)
        let cluster = try InProcessCluster(configuration: c, journal: journal)
        cluster.addWorker(id: "w0", slots: 2, evaluators: LocalEvaluators(nb201Directory: Self.nb201Directory))
        _ = try await cluster.finish(timeout: 120)
        let fragment = LivePage(journalPath: path).fragment(DashboardState(cluster.coordinator.status))
        let line = try #require(fragment.range(of: "<p class=\"summary\" id=\"pareto\">pareto front (val_error, params): "),
                                "\(fragment.prefix(800))")
        #expect(fragment[line.upperBound...].prefix(40).contains(" of 16 cells, from val_error "))
        #expect(fragment.contains("hypervolume"))
    }
}
