@testable import Cluster
import Foundation
import Testing

/// Awaiting a coordinator's status: answered by a publish, a time limit, the loop's end or a cancellation,
/// each exactly once.
@Suite struct StatusWatchTests {
    func status(_ successes: Int) -> CoordinatorStatus {
        CoordinatorStatus(study: "s", budget: 10, successes: successes, failed: 0, running: 0, queued: 0, workers: 0, best: nil,
                          finished: false, elapsed: 0, abortReason: nil)
    }

    @Test func aPublishMeetingTheConditionAnswers() async throws {
        let watch = StatusWatch()
        watch.publish(status(1))
        let waiting = Task { try await watch.status(where: { $0.successes >= 3 }, timeout: 30) }
        watch.publish(status(2))
        watch.publish(status(3))
        #expect(try await waiting.value.successes == 3)
        // A condition already met answers at once.
        #expect(try await watch.status(where: { $0.successes >= 2 }, timeout: 30).successes == 3)
    }

    @Test func theTimeLimitTheEndAndCancellationEachAnswer() async throws {
        let watch = StatusWatch()
        await #expect(throws: ClusterError.self) { try await watch.status(where: { _ in false }, timeout: 0.05) }
        await #expect(throws: ClusterError.self) { try await watch.status(where: { _ in false }, timeout: 0) }
        let cancelled = Task { try await watch.status(where: { _ in false }, timeout: 3600) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let ending = Task { try await watch.status(where: { _ in false }, timeout: 3600) }
        await Task.yield()
        watch.end(CoordinatorEnded())
        await #expect(throws: CoordinatorEnded.self) { try await ending.value }
        await #expect(throws: CoordinatorEnded.self) { try await watch.ready() }
    }
}
