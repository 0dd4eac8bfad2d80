import Foundation
import Testing

/// Early stopping through real processes (issue 28): `anasod search` with two worker processes whose synthetic
/// evaluator streams a deterministic curve; the coordinator stops cells at their rungs, and `status`, `export`
/// and `bench --curves` (on the study's own journal) read the result.
@Suite(.serialized) struct EarlyStoppingEndToEndTests {
    @Test func aSearchStopsCellsAndItsJournalIsACurveSet() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("anasod-es-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = directory.appendingPathComponent("es.sqlite").path
        let config = directory.appendingPathComponent("es.yaml").path
        try """
        study: es
        space: nb201
        strategy: anasod-bo-2s
        budget: 30
        evaluator:
          kind: synthetic
          seconds: 0.45
          epochs: 9
        jobs:
          early_stopping: {rule: asha, min_epochs: 1, reduction_factor: 3}
        journal: \(journal)
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let check = try CommandRunner.run(["check", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("early stop asha: rungs at epoch(s) 1, 3 of 9"), "\(check.stdout)")

        let search = try CommandRunner.run(["search", "--config", config, "--workers", "2", "--no-progress-bar", "--dashboard", "off"],
                                           in: directory.path)
        #expect(search.status == 0, "\(search.stdout)\n\(search.stderr)")
        #expect(search.stdout.contains("30/30 evaluated ("), "\(search.stdout)")
        #expect(search.stdout.contains("stopped early)"), "\(search.stdout)")

        let status = try CommandRunner.run(["status", "--journal", journal])
        #expect(status.stdout.contains("stopped early: "), "\(status.stdout)")
        let csv = try CommandRunner.run(["export", "--journal", journal, "--format", "csv"])
        let rows = csv.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 30)
        let stopped = rows.filter { !($0.last ?? "").isEmpty }
        #expect(!stopped.isEmpty && stopped.allSatisfy { ["1", "2", "3", "4"].contains(String($0.last!)) })
        #expect(stopped.count < 30)

        // The journal is a curve set: the cells trained to the end, 9 epochs each.
        let bench = try CommandRunner.run(["bench", "--curves", journal, "--strategies", "rs", "--seeds", "1", "--budget", "4",
                                           "--early-stopping", "off,asha", "--jobs", "1"])
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("× 9 epochs") && bench.stdout.contains("| rs | asha |"), "\(bench.stdout)")
    }

    @Test func benchCurvesNamesABadSetAndBadRungs() throws {
        let missing = try CommandRunner.run(["bench", "--curves", "/nonexistent/curves.csv", "--seeds", "1"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read learning curves '/nonexistent/curves.csv'"), "\(missing.stderr)")
        let rungs = try CommandRunner.run(["bench", "--curves", "x.csv", "--reduction-factor", "1"])
        #expect(rungs.status != 0 && rungs.stderr.contains("--reduction-factor must be at least 2"), "\(rungs.stderr)")
        let both = try CommandRunner.run(["bench", "--curves", "x.csv", "--runs", "cifar100"])
        #expect(both.status != 0 && both.stderr.contains("give one"), "\(both.stderr)")
    }
}
