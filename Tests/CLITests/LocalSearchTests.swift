import Foundation
import TestSupport
import Testing

/// `anasod search`'s own worker processes (`LocalWorkerPool`) seen from outside: Ctrl-C ends the search
/// gracefully with every worker gone, and workers that all die end it with an error instead of a hang.
@Suite(.serialized) struct LocalSearchTests {
    static func config(_ group: ProcessGroup) throws -> String {
        let path = group.directory.appendingPathComponent("study.yaml").path
        try """
        study: local
        space: nb201
        strategy: rs
        budget: 1000
        evaluator:
          kind: synthetic
          seconds: 0.2
        journal: \(group.directory.path)/local.sqlite
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts a search of 2 workers and waits for its first results; the search and its workers' process ids.
    static func started(_ group: ProcessGroup) throws -> (search: Process, workers: [Int32]) {
        let (search, _) = try group.start(
            [
                "search", "--config", try config(group), "--workers", "2", "--dashboard", "off",
                "--no-progress-bar",
            ], name: "search")
        #expect(eventually(timeout: 60) { group.log("search").contains("new best") }, "\(group.log("search"))")
        let workers = try CommandRunner.shell("pgrep -P \(search.processIdentifier)").split(separator: "\n")
            .compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        #expect(workers.count == 2, "\(group.log("search"))")
        return (search, workers)
    }

    @Test func sigintEndsASearchGracefullyWithEveryWorkerGone() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let (search, workers) = try Self.started(group)
            kill(search.processIdentifier, SIGINT)
            #expect(group.wait(search, timeout: 30), "the search ignored SIGINT")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let log = group.log("search")
            #expect(log.contains("stopping: no new jobs") && log.contains("finished: the coordinator was stopped"))
            let output = try String(contentsOf: group.directory.appendingPathComponent("search.out"), encoding: .utf8)
            #expect(output.contains("study local: ") && output.contains("/1000 evaluated"))
            // Reaped by the search before it exited: no such process any more.
            for pid in workers { #expect(kill(pid, 0) != 0, "worker \(pid) is still there") }
        }
    }

    @Test func workersThatAllDieEndTheSearchWithAnError() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let (search, workers) = try Self.started(group)
            for pid in workers { kill(pid, SIGKILL) }
            #expect(group.wait(search, timeout: 60), "the search went on without workers")
            #expect(search.terminationStatus == 1)
            #expect(
                group.log("search").contains(
                    "Error: all 2 worker process(es) exited before the study finished (their errors are above)"))
            let output = try String(contentsOf: group.directory.appendingPathComponent("search.out"), encoding: .utf8)
            #expect(output.contains("study local: "), "the summary is missing")
        }
    }
}
