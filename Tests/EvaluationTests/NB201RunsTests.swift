import ANASOD
@testable import Evaluation
import Foundation
import Testing

/// The per-seed runs table (`../shared/data/nb201-runs/`, issue 26): parsing, errors that name the line,
/// deterministic draws; the real files where they are.
@Suite struct NB201RunsTests {
    let space = NB201SearchSpace()
    static let header = "arch,val_accuracy_runs,train_seconds,latency_seconds,params_mb\n"

    /// Every cell: runs derived from its index, seconds 100 + index.
    static func syntheticCSV() -> String {
        let space = NB201SearchSpace()
        var text = header
        for i in 0..<NB201SearchSpace.cellCount {
            text += "\(space.format(space.architecture(at: i))),\(Double(i % 90));\(Double(i % 90) + 1);\(Double(i % 90) + 2),\(100 + i),0.01,0.5\n"
        }
        return text
    }

    func expectMalformed(_ text: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        NB201Fixture.expectMalformed(fragment, sourceLocation: sourceLocation) { _ = try NB201Runs.parse(text, source: "r.csv") }
    }

    @Test func parsesRunsAndDrawsDeterministically() throws {
        let runs = try NB201Runs.parse(Self.syntheticCSV(), source: "synthetic")
        let cell = space.architecture(at: 1234)
        let expected: [Double] = [36, 35, 34]  // 100 − accuracy
        #expect(runs.errors[1234] == expected)
        #expect(runs.meanError(of: cell) == 35)
        #expect(runs.seconds[1234] == 1334)
        // The same (seed, cell, attempt) draws the same run; over attempts every run is drawn.
        #expect(runs.draw(cell, seed: 3, attempt: 2).error == runs.draw(cell, seed: 3, attempt: 2).error)
        let drawn = Set((0..<64).map { runs.draw(cell, seed: 3, attempt: $0).error })
        #expect(drawn == [34, 35, 36])
        #expect(runs.draw(cell, seed: 3, attempt: 0).seconds == 1334)
    }

    @Test func malformedRowsAreRefusedWithTheirLine() {
        let arch = space.format(space.architecture(at: 0))
        expectMalformed("", "the file is empty")
        expectMalformed("arch,accuracy\n", "the header must name")
        expectMalformed(Self.header + "\(arch),91;x,700,0.01,0.1\n", "r.csv:2: val_accuracy_runs")
        expectMalformed(Self.header + "\(arch),91;92,-3,0.01,0.1\n", "r.csv:2: train_seconds")
        expectMalformed(Self.header + "\(arch),91;92,700,0.01\n", "r.csv:2: expected 5 fields")
        expectMalformed(Self.header + "\(arch),91,700,0.01,0.1\n\(arch),91,700,0.01,0.1\n", "r.csv:3: duplicate cell")
        expectMalformed(Self.header + "\(arch),91,700,0.01,0.1\n", "15624 of 15625 cells are missing")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: NB201Fixture.runsPath("cifar10-valid")),
                   "needs ../shared/data/nb201-runs/cifar10-valid.csv (or $ANASOD_NB201_RUNS_DIR)"))
    func theRealRunsHaveThePublishedOptimum() throws {
        let runs = try NB201Runs.load(path: NB201Fixture.runsPath("cifar10-valid"))
        // ../shared/METHOD.md: optimum of the mean validation error 8.39, lowest single run 8.28.
        #expect(abs((runs.mean.min() ?? 0) - 8.39) < 0.01)
        #expect(abs((runs.errors.joined().min() ?? 0) - 8.28) < 0.01)
        #expect(runs.errors.allSatisfy { (2...3).contains($0.count) })
    }
}

extension NB201Fixture {
    /// Where the per-seed runs are: `$ANASOD_NB201_RUNS_DIR`, else `../shared/data/nb201-runs`.
    static func runsPath(_ task: String) -> String {
        let directory = ProcessInfo.processInfo.environment[NB201Runs.directoryVariable]
            ?? ((Self.directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("nb201-runs")
        return (directory as NSString).appendingPathComponent(task + ".csv")
    }
}
