import ANASOD
import Foundation
import Testing

@testable import Evaluation

/// `scripts/optuna_runs.py` (issue 26: Optuna's samplers on the same runs and draws): its own tests pass
/// (standard library only; no Optuna needed), and its cell index and draw choose the runs that
/// `NB201SearchSpace.index(of:)` and `NB201Runs.draw` choose.
@Suite(.enabled(if: OptunaRunsScript.available, "needs python3"))
struct OptunaRunsScriptTests {
    @Test func theScriptsOwnTestsPass() throws {
        let result = try OptunaRunsScript.python([OptunaRunsScript.scripts + "/test_optuna_runs.py"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func theScriptDrawsTheRunsTheSwiftTableDraws() throws {
        let space = NB201SearchSpace()
        // Accuracies a, a + 1, a + 2 with a = index % 90: the run drawn is 100 − a − error.
        let runs = try NB201Runs.parse(NB201RunsTests.syntheticCSV(), source: "synthetic")
        let cells = Array(stride(from: 0, to: NB201SearchSpace.cellCount, by: 97)) + [NB201SearchSpace.cellCount - 1]
        let seeds: [UInt64] = [0, 5, 119, 1 << 63, .max]
        let attempts = [0, 1, 2, 7, 1000]
        let archs = cells.map { "'\(space.format(space.architecture(at: $0)))'" }.joined(separator: ", ")
        let result = try OptunaRunsScript.python([
            "-c",
            """
            import sys
            sys.path.insert(0, \(OptunaRunsScript.quoted(OptunaRunsScript.scripts)))
            import optuna_runs as o
            for arch in [\(archs)]:
                index = o.cell_index(o.parse_arch(arch))
                print(index, "".join(str(o.draw_choice(s, index, a, 3)) for s in \(seeds) for a in \(attempts)))
            print("optuna imported" if "optuna" in sys.modules else "optuna not imported")
            """,
        ])
        #expect(result.status == 0, "\(result.output)")
        var expected = cells.map { index in
            "\(index) "
                + seeds.flatMap { seed in
                    attempts.map { attempt in
                        String(
                            Int(
                                100 - Double(index % 90)
                                    - runs.draw(space.architecture(at: index), seed: seed, attempt: attempt).error))
                    }
                }.joined()
        }
        expected.append("optuna not imported")
        #expect(result.output.split(separator: "\n").map(String.init) == expected)
    }
}

/// python3 and the scripts folder.
enum OptunaRunsScript {
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
