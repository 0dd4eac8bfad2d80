import ANASOD
import Foundation
import Testing

@testable import Search

/// `scripts/optuna_runs.py` runs Optuna's samplers in `NoisyRunsBenchmark`'s setting (issue 26): given the
/// cells a Swift strategy proposed, in order, its simulation draws the same (cell, attempt)s, finishes them in
/// the same order on the simulated clock, and prints `NoisyRunsReport`'s tables character for character.
@Suite(.enabled(if: OptunaRunsParityScript.available, "needs python3"))
struct OptunaRunsParityTests {
    /// The benchmark's draws, in the order it asked for them: (cell index, attempt, error, seconds).
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var draws = [[Double]]()

        func record(_ index: Int, _ attempt: Int, _ error: Double, _ seconds: Double) {
            lock.withLock { draws.append([Double(index), Double(attempt), error, seconds]) }
        }

        var recorded: [[Double]] { lock.withLock { draws } }
    }

    /// True error index % 100; a draw adds ±1 by (seed, cell, attempt); seconds 1,000–2,960 by cell, so
    /// that 160 evaluations pass 10⁵ and 3·10⁵ GPU-seconds but not 10⁶.
    func benchmark(workers: Int, recorder: Recorder) -> NoisyRunsBenchmark {
        let space = NB201SearchSpace()
        return NoisyRunsBenchmark(
            space: space, budget: 160, workers: workers, medianTrueError: 50,
            draw: { arch, seed, attempt in
                let i = space.index(of: arch)
                let noise = (seed &+ UInt64(i) &+ UInt64(attempt)) % 2 == 0 ? 1.0 : -1.0
                let draw = (error: Double(i % 100) + noise, seconds: 1000 + Double(i % 50) * 40)
                recorder.record(i, attempt, draw.error, draw.seconds)
                return draw
            },
            trueError: { Double(space.index(of: $0) % 100) })
    }

    @Test func theScriptSimulatesAndTabulatesAsTheSwiftBenchmark() throws {
        var input = [[String: Any]]()
        var swift = [Int: [NoisyRunsBenchmark.Run]]()
        for workers in [1, 3] {
            for seed in UInt64(0)..<3 {
                let recorder = Recorder()
                let run = try benchmark(workers: workers, recorder: recorder).run(strategy: "rs", seed: seed)
                swift[workers, default: []].append(run)
                input.append(["seed": Int(seed), "workers": workers, "draws": recorder.recorded])
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "optuna-parity-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // Random search proposes no cell twice, so the best trial's cell is also the best-seen cell.
        let result = try OptunaRunsParityScript.python([
            "-c",
            """
            import json, sys
            sys.path.insert(0, \(OptunaRunsParityScript.quoted(OptunaRunsParityScript.scripts)))
            import optuna_runs as o
            runs = []
            for r in json.load(open(\(OptunaRunsParityScript.quoted(file.path)))):
                drawn = {(int(i), int(a)): (e, s) for i, a, e, s in r["draws"]}
                cells = iter([int(d[0]) for d in r["draws"]])
                ask = lambda: (None, o.cell_operations(next(cells)))
                run = o.simulate(lambda i, seed, a: drawn[(i, a)], lambda i: float(i % 100), ask, lambda h, e: None,
                                 r["seed"], 160, r["workers"], 50.0, "best-trial", "rs")
                runs.append(run)
                print("run", run.seed, run.workers, run.retrains, repr(run.wasted_share))
                for p in run.points:
                    print(repr(p.time), repr(p.gpu_seconds), repr(p.best_seen), repr(p.recommended_true_error))
            print(o.POINTS_CSV_HEADER)
            for workers in (1, 3):
                print(o.markdown([c for run in runs if run.workers == workers for c in o.checkpoints(run)]))
                print("=== end of tables")
            """,
        ])
        #expect(result.status == 0, "\(result.output)")
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        for workers in [1, 3] {
            for run in swift[workers]! {
                let header = (lines.popFirst() ?? "").split(separator: " ")
                #expect(header.dropLast().joined(separator: " ") == "run \(run.seed) \(workers) \(run.retrains)")
                #expect(header.last.flatMap { Double($0) } == run.wastedShare)
                for point in run.points {
                    let values = (lines.popFirst() ?? "").split(separator: " ").compactMap { Double($0) }
                    #expect(
                        values == [point.time, point.gpuSeconds, point.bestSeen, point.recommendedTrueError],
                        "seed \(run.seed), \(workers) workers")
                }
            }
        }
        #expect(lines.popFirst() == NoisyRunsReport.csvHeader)  // the script's --csv writes the columns of bench --csv
        for workers in [1, 3] {
            var table = [String]()
            while let line = lines.popFirst(), line != "=== end of tables" { table.append(line) }
            #expect(table.joined(separator: "\n") == NoisyRunsReport(runs: swift[workers]!).markdown())
        }
    }
}

/// python3 and the scripts folder.
enum OptunaRunsParityScript {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts").path

    static let available: Bool = (try? python(["-c", "import sys; sys.exit(sys.version_info < (3, 8))"]).status) == 0

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Runs python3 with `arguments` in a temporary folder; its standard output, with standard error after it
    /// when it failed.
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let log = errors.fileHandleForReading.readDataToEndOfFile()  // small: read after standard output
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return (
            process.terminationStatus,
            process.terminationStatus == 0 ? text : text + String(decoding: log, as: UTF8.self)
        )
    }
}
