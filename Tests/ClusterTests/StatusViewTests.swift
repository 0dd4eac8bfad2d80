import ANASOD
import Journal
import Testing

@testable import Cluster

/// What `anasod status` prints from a journal: counts, the best result, each worker's last note and the
/// study-wide ones, and whether anything can still change.
@Suite struct StatusViewTests {
    static let a = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    static let b = "|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"

    static func journal(_ records: [JournalRecord]) throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        try journal.append(records)
        return journal
    }

    @Test func aRunningStudyShowsCountsBestAndTheLastNoteOfEachWorker() throws {
        let journal = try Self.journal([
            .proposed(
                call: 0,
                jobs: [
                    .init(job: 1, architecture: Self.a, encoding: [[1]]),
                    .init(job: 2, architecture: Self.b, encoding: [[1]]),
                    .init(job: 3, architecture: Self.b, encoding: [[1]]),
                ]),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 0),
            .result(job: 1, attempt: 1, worker: "w1", metrics: .init(validationError: 7.25, trainSeconds: 1), time: 1),
            .dispatched(job: 2, attempt: 1, worker: "w2", time: 1),
            .note(worker: "w2", message: "first word", time: 2),
            .note(worker: "*", message: "study-wide", time: 3),
            .note(worker: "w2", message: "last word", time: 4),
        ])
        let view = StatusView(try StudyReport(journal: journal))
        #expect(
            view.lines == [
                "study s: 1 done, 1 running, 1 queued, 0 failed",
                "best seen 7.250 % (job 1)",
                "best cell: \(Self.a)",
                "worker w2: last word",
                "note: study-wide",
            ])
        #expect(!view.finished)
    }

    @Test func aStudyWithNothingRunningOrQueuedIsFinished() throws {
        let journal = try Self.journal([
            .proposed(call: 0, jobs: [.init(job: 1, architecture: Self.a, encoding: [[1]])]),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 0),
            .failure(job: 1, attempt: 1, worker: "w1", reason: "no", class: .architecture, final: true, time: 1),
        ])
        let view = StatusView(try StudyReport(journal: journal))
        #expect(view.lines == ["study s: 0 done, 0 running, 0 queued, 1 failed"])
        #expect(view.finished)
    }
}

/// The lines `anasod search` and `anasod coordinator` print when a run ends.
@Suite struct RunSummaryTests {
    static func status() -> CoordinatorStatus {
        CoordinatorStatus(
            study: "s", budget: 20, successes: 18, failed: 2, running: 0, queued: 0, workers: 2,
            best: (6.5, "|cell|"), finished: true, elapsed: 12.34, abortReason: nil)
    }

    @Test func aQuietRunSaysResultsBestAndJournal() {
        #expect(
            RunSummary.lines(Self.status(), journal: "runs/s.sqlite") == [
                "study s: 18/20 evaluated, 2 failed, 12.3 s",
                "best seen 6.500 %",
                "best cell: |cell|",
                "journal: runs/s.sqlite",
            ])
    }

    /// The strategy's recommended cell is said beside the best seen, and its own line when it is another cell.
    @Test func theRecommendedCellIsSaidBesideTheBest() {
        var status = Self.status()
        status.recommended = (6.75, "|other|", 2)
        #expect(RunSummary.lines(status, journal: "j")[1...3] == [
            "best seen 6.500 % · recommended 6.750 % est. (2 runs)", "best cell: |cell|", "recommended cell: |other|",
        ])
        status.recommended = (6.5, "|cell|", 1)
        #expect(RunSummary.lines(status, journal: "j")[1...2] == [
            "best seen 6.500 % · recommended 6.500 % est. (same cell, 1 run)", "best cell: |cell|",
        ])
    }

    @Test func refusalsAndQuarantinesAreListedOnlyWhenThereWereAny() {
        var status = Self.status()
        status.best = nil
        status.refusals.malformed = 3
        status.keyRefusals = ["b": 2, "a": 2, "c": 5]
        status.quarantined = ["k2": "two", "k1": "one"]
        let lines = RunSummary.lines(status, journal: "j")
        #expect(lines.count == 6)
        #expect(lines[1].hasPrefix("dropped messages: 0 from peers never welcomed") && lines[1].contains("3 malformed"))
        #expect(lines[2] == "refused by key: c 5, a 2, b 2")
        #expect(lines[3...] == ["quarantined key k1: one", "quarantined key k2: two", "journal: j"])
    }
}
