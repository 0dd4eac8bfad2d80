import ANASOD
@testable import Cluster
import Evaluation
import Foundation
import Journal
import TestSupport
import Testing
import Wire

/// Fake trainers that fail with each class get the treatment cluster/PROTOCOL.md documents: a real
/// coordinator and two real workers (in process, in-memory transport) running shell-script trainers.
@Suite(.serialized) struct FailureClassTests {
    /// A result line whose error depends on the job (so that every cell has a value).
    static let good = #"echo "{\"event\": \"result\", \"validation_error\": $(( $(cksum < "$ANASOD_JOB_FILE" | cut -c1-4) % 90 + 5 ))}""#

    /// A good trainer that takes a moment, so that the other worker surely joins while jobs remain (the `sleep` is
    /// the trainer's running time, the timing under test).
    static let slow = "sleep 0.3\n" + good

    struct Run {
        var status: CoordinatorStatus
        var records: [JournalRecord]
        /// Attempts dispatched, by worker.
        var dispatched: [String: Int] {
            records.reduce(into: [:]) { counts, r in if case .dispatched(_, _, let w, _, _) = r { counts[w, default: 0] += 1 } }
        }
        var failures: [(worker: String, class: FailureClass?, final: Bool)] {
            records.compactMap { if case .failure(_, _, let w, _, let c, let f, _) = $0 { (w, c, f) } else { nil } }
        }
        var notes: [String: String] {
            records.reduce(into: [:]) { notes, r in if case .note(let w, let m, _) = r { notes[w] = m } }
        }
    }

    /// Runs a study of `budget` on workers `a` and `b`, each with its own trainer script body.
    func run(budget: Int, a: String, b: String, maxAttempts: Int = 3) async throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var c = StudyConfiguration(study: "classes")
        c.budget = budget
        c.strategy = .init(.rs)
        c.maxAttempts = maxAttempts
        c.evaluator = EvaluationSettings(kind: .external)
        c.heartbeatInterval = 0.2
        c.workerTimeout = 5
        let journal = InMemoryJournal()
        let cluster = try InProcessCluster(configuration: c, journal: journal)
        for (name, body) in [("a", a), ("b", b)] {
            let script = folder.appendingPathComponent("\(name).sh").path
            try "#!/bin/sh\n\(body)\n".write(toFile: script, atomically: true, encoding: .utf8)
            let work = folder.appendingPathComponent("work-\(name)").path
            cluster.addWorker(id: name, slots: 1,
                              evaluators: LocalEvaluators(trainerCommand: "/bin/sh \(script)", workDirectory: work))
        }
        let status = try await cluster.finish()
        return Run(status: status, records: try journal.records())
    }

    @Test func aConfigurationFailureBeforeAnyResultStopsTheStudyAtOnce() async throws {
        let bad = "echo 'train_cell: CIFAR-10 needs data_dir' >&2\nexit 2"
        let run = try await run(budget: 10, a: bad, b: bad)
        #expect(run.status.abortReason?.contains("configuration error") == true, "\(run.status.abortReason ?? "")")
        #expect(run.status.abortReason?.contains("CIFAR-10 needs data_dir") == true)
        #expect(run.status.successes == 0)
        // At most one job per worker was dispatched, and none retried.
        #expect(run.dispatched.values.allSatisfy { $0 <= 1 }, "\(run.dispatched)")
        #expect(run.failures.first?.class == .configuration)
    }

    @Test func aDataFailureTakesThatWorkerOutAndTheOthersFinish() async throws {
        let run = try await run(budget: 6, a: "echo 'no Fashion-MNIST here' >&2\nexit 3", b: Self.slow)
        #expect(run.status.successes == 6)
        #expect(run.status.abortReason == nil)
        #expect(run.dispatched["a"] == 1, "\(run.dispatched)")
        #expect(run.notes["a"]?.contains("data failure") == true, "\(run.notes)")
        // The job it failed was not charged an attempt: it went to b and succeeded.
        #expect(run.failures.allSatisfy { $0.worker == "a" && $0.class == .data && !$0.final })
    }

    @Test func aResourceFailureIsRetriedOnAnotherWorker() async throws {
        // a runs out of memory on every job it gets (the failure line says so); b trains.
        let oom = #"echo '{"event": "failure", "class": "resource", "reason": "CUDA out of memory"}'"# + "\nexit 1"
        let run = try await run(budget: 6, a: oom, b: Self.slow)
        #expect(run.status.successes == 6)
        let failed = run.failures.filter { $0.worker == "a" }
        #expect(!failed.isEmpty && failed.allSatisfy { $0.class == .resource && !$0.final })
        // Every job a failed was done by b.
        var retriedOnB = true
        for record in run.records {
            guard case .failure(let job, _, "a", _, _, _, _) = record else { continue }
            let done = run.records.contains { if case .result(job, _, "b", _, _) = $0 { true } else { false } }
            retriedOnB = retriedOnB && done
        }
        #expect(retriedOnB)
    }

    @Test func aTransientFailureIsRetried() async throws {
        // Each job fails its first attempt (a marker per job in the job folder's parent), then trains.
        let flaky = #"m="$(dirname "$ANASOD_WORK_DIR")/$(basename "$ANASOD_WORK_DIR" | sed 's/-attempt-.*//')"; if [ ! -e "$m" ]; then touch "$m"; exit 1; fi"# + "\n" + Self.good
        let run = try await run(budget: 4, a: flaky, b: flaky, maxAttempts: 3)
        #expect(run.status.successes == 4)
        #expect(!run.failures.isEmpty && run.failures.allSatisfy { $0.class == .transient && !$0.final })
    }

    @Test func anArchitectureFailureIsFinalOnceASecondWorkerConfirmsIt() async throws {
        // Cells whose architecture string hashes odd "diverge" (exit 4) on both workers; the others train. One worker's
        // word is not enough to fail a cell for good while another could try it (issue 25): each diverging
        // cell is tried once by each worker, then recorded, and never a third time.
        let cell = #"$(grep -o '"architecture" *: *"[^"]*"' "$ANASOD_JOB_FILE" | cksum | cut -c1-4)"#
        let diverging = #"if [ $(( "# + cell + #" % 2 )) -eq 1 ]; then echo 'loss is NaN' >&2; exit 4; fi"# + "\n" + Self.slow
        let run = try await run(budget: 6, a: diverging, b: diverging)
        #expect(run.status.successes == 6)
        let failures = run.failures
        #expect(failures.allSatisfy { $0.class == .architecture }, "\(failures)")
        let failedJobs = run.records.compactMap { if case .failure(let j, _, _, _, _, true, _) = $0 { j } else { nil } }
        #expect(!failedJobs.isEmpty)
        // (A cell that diverged before the other worker had said hello had no second worker to ask: final at once.)
        var confirmed = 0
        for job in failedJobs {
            let workers = run.records.compactMap { if case .dispatched(job, _, let w, _, _) = $0 { w } else { nil } }
            #expect(workers.count <= 2 && Set(workers).count == workers.count, "job \(job) ran on \(workers)")
            if workers.count == 2 { confirmed += 1 }
        }
        #expect(confirmed >= 1)
    }
}
