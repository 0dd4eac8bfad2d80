@testable import Cluster
@testable import Dashboard
import Foundation
import Journal
import Testing

/// The dashboard shows the strategy's recommended cell beside the best seen (issue 26): `/api/state`'s JSON,
/// the lines `anasod status` prints from it, and the live page.
@Suite(.serialized) struct DashboardRecommendationTests {
    /// A finished in-process study (random search: it recommends the best seen cell) on a real journal.
    @Test func theLiveStateAndPageShowTheRecommendation() async throws {
        let study = try await DashboardServerTests.study(budget: 12)
        defer { DashboardHardeningTests.remove(study.path) }
        let state = DashboardState(study.coordinator.status)
        #expect(state.recommendedArchitecture != nil && state.recommendedArchitecture == state.bestArchitecture)
        #expect(state.recommendedEstimate == state.bestError && state.recommendedRuns == 1)
        let json = String(decoding: state.json(), as: UTF8.self)
        #expect(json.contains("\"recommendedArchitecture\":") && json.contains("\"recommendedEstimate\":"), "\(json)")
        #expect(try JSONDecoder().decode(DashboardState.self, from: state.json()) == state)
        #expect(state.lines[1] == String(format: "best seen %.3f %% · recommended %.3f %% est. (same cell, 1 run)",
                                         state.bestError!, state.recommendedEstimate!), "\(state.lines)")
        let fragment = LivePage(journalPath: study.path).fragment(state)
        #expect(fragment.contains("<span id=\"recommended\"") && fragment.contains("recommended <b>"), "\(fragment.prefix(600))")
        // The journal says the same (what `anasod status` shows once the coordinator is gone).
        let fromJournal = StatusView(try StudyReport(journal: study.journal)).lines
        #expect(fromJournal[1].contains("· recommended ") && fromJournal[1].contains("same cell, 1 run"), "\(fromJournal)")
    }

    /// The state of an older coordinator (no recommendation keys) still decodes, without one.
    @Test func anOlderCoordinatorsStateDecodesWithoutARecommendation() throws {
        let status = CoordinatorStatus(study: "s", budget: 10, successes: 1, failed: 0, running: 0, queued: 0, workers: 0,
                                       best: (7.5, "|a|"), finished: false, elapsed: 1, abortReason: nil)
        var object = try JSONSerialization.jsonObject(with: DashboardState(status).json()) as! [String: Any]
        for key in ["recommendedEstimate", "recommendedArchitecture", "recommendedRuns"] { object[key] = nil }
        let older = try JSONDecoder().decode(DashboardState.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.recommendedEstimate == nil && older.lines[1] == "best seen 7.500 %")
    }
}
