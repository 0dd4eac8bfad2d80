import ANASOD
import Journal
import Testing

/// The one fold of a journal into typed trials, attempts and the strategy's history.
@Suite struct JournalReplayTests {
    @Test func foldsTrialsAttemptsAndHistory() {
        let replay = JournalReplay(JournalTests.sample)
        #expect(replay.trials.map(\.job) == [1, 2, 3, 4])
        let one = replay[job: 1]!
        #expect(one.state == .done && one.attemptCount == 2)
        #expect(one.attempts.map(\.state) == [.failed, .done])
        #expect(one.attempts[0].epochs == [EpochProgress(epoch: 1, trainLoss: 0.5, seconds: 2)])
        #expect(one.attempts[0].failure?.final == false && one.attempts[1].key == "node-2")
        #expect(one.result?.worker == "w2" && one.result?.metrics.validationError == 5.63)
        #expect(one.chargedFailures == 1)
        #expect(replay[job: 2]?.state == .failed && replay[job: 2]?.lastFailure?.failureClass == .architecture)
        #expect(replay[job: 3]?.state == .queued && replay[job: 4]?.state == .queued)
        #expect(replay.counts == [.done: 1, .failed: 1, .queued: 2])
        #expect(replay.accepted == [1] && replay.failedCount == 1 && replay.calls == 4)
        #expect(replay.committed == [JobKey(jobID: 1, attempt: 1), JobKey(jobID: 1, attempt: 2), JobKey(jobID: 2, attempt: 3)])
        #expect(replay.history == [.proposed(call: 0, jobs: [1, 2]), .proposed(call: 1, jobs: [3]), .observed(job: 1, value: 5.63),
                                   .observed(job: 2, value: nil), .proposed(call: 2, jobs: []), .proposed(call: 3, jobs: [4])])
        #expect(replay.lastTime == 14 && replay.best?.job == 1)
        // The recommendation is kept apart from the strategy's history (no step above).
        #expect(replay.recommendations == [.init(architecture: "|a|", estimate: 5.9125, observations: 1, afterObservations: 1,
                                                 afterCalls: 2, time: 13.5)])
        #expect(replay.recommendation?.estimate == 5.9125 && replay.trials(of: "|a|").map(\.job) == [1])
    }

    /// The latest recommendation wins; a journal without any (older ones) has none.
    @Test func theLatestRecommendationIsTheStrategysCurrentOne() {
        var records = JournalTests.sample
        records.append(.recommended(architecture: "|d|", estimate: 4.5, observations: 2, afterObservations: 2, afterCalls: 4, time: 20))
        let replay = JournalReplay(records)
        #expect(replay.recommendations.map(\.architecture) == ["|a|", "|d|"])
        #expect(replay.recommendation?.architecture == "|d|" && replay.recommendation?.observations == 2)
        #expect(replay.lastTime == 20 && replay.history == JournalReplay(JournalTests.sample).history)
        #expect(JournalReplay(JournalTests.sample.filter { $0.kind != 7 }).recommendation == nil)
    }

    /// An attempt left open when a later one is leased was lost; a running trial's curve is its open attempt's;
    /// a retried failure puts the trial back in the queue; a failure run ends with a result.
    @Test func lostAttemptsRunningCurvesAndFailureRuns() {
        let replay = JournalReplay([
            .proposed(call: 0, jobs: [.init(job: 1, architecture: "|a|", encoding: [[1]]), .init(job: 2, architecture: "|b|", encoding: [[1]]),
                                      .init(job: 3, architecture: "|c|", encoding: [[1]])]),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 1),
            .dispatched(job: 1, attempt: 2, worker: "w2", time: 2),  // after a coordinator restart
            .progress(job: 1, attempt: 2, progress: EpochProgress(epoch: 1, validationError: 40, seconds: 3)),
            .dispatched(job: 2, attempt: 1, worker: "w1", time: 3),
            .failure(job: 2, attempt: 1, worker: "w1", reason: "node lost its data", class: .data, final: false, time: 4),
            .dispatched(job: 3, attempt: 1, worker: "w1", time: 5),
            .failure(job: 3, attempt: 1, worker: "w1", reason: "bad settings", class: .configuration, final: true, time: 6),
            .note(worker: "w1", message: "excluded", time: 7),
        ])
        let one = replay[job: 1]!
        #expect(one.state == .running && one.attempts.map(\.state) == [.lost, .running])
        #expect(one.openAttempt?.number == 2 && one.curve.map(\.validationError) == [40])
        #expect(replay[job: 2]?.state == .queued && replay[job: 2]?.chargedFailures == 0)
        #expect(replay.consecutiveFailures == 1 && replay.lastFailureReason == "bad settings")
        #expect(replay.configurationFailureBeforeAnyResult?.job == 3)
        #expect(replay.notes == [.init(worker: "w1", message: "excluded", time: 7)])
        #expect(replay.dispatchOrder.map(\.job) == [1, 1, 2, 3])
    }
}
