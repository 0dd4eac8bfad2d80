import ANASOD
import Foundation
@testable import Search
import Testing

/// `NoisyRunsBenchmark` (issue 26) on a synthetic noisy table: each evaluation one draw, GPU seconds summed,
/// retrains drawn again, W workers faster on the wall clock, the honest metric from the true means.
@Suite struct NoisyRunsBenchmarkTests {
    let space = NB201SearchSpace()

    /// True error: a function of the cell; a draw adds ±1 by (seed, cell, attempt); seconds 100 + index % 50.
    func benchmark(workers: Int, budget: Int = 40) -> NoisyRunsBenchmark {
        let space = self.space
        return NoisyRunsBenchmark(space: space, budget: budget, workers: workers, medianTrueError: 50,
                                  draw: { arch, seed, attempt in
                                      let i = space.index(of: arch)
                                      let noise = (seed &+ UInt64(i) &+ UInt64(attempt)) % 2 == 0 ? 1.0 : -1.0
                                      return (Double(i % 100) + noise, 100 + Double(i % 50))
                                  },
                                  trueError: { Double(space.index(of: $0) % 100) })
    }

    @Test func accountsEveryDrawAndIsDeterministic() throws {
        let a = try benchmark(workers: 1).run(strategy: "rs", seed: 7)
        let b = try benchmark(workers: 1).run(strategy: "rs", seed: 7)
        #expect(a.points.count == 40)
        #expect(a.points.map(\.bestSeen) == b.points.map(\.bestSeen))
        // One worker: the wall clock is the GPU seconds; both grow by each evaluation's seconds.
        for (p, q) in zip(a.points, a.points.dropFirst()) {
            #expect(q.gpuSeconds - p.gpuSeconds >= 100 && q.gpuSeconds - p.gpuSeconds < 150)
            #expect(abs(q.time - q.gpuSeconds) < 1e-9)
            #expect(q.bestSeen <= p.bestSeen)
        }
        // The honest metric is the true error of the best draw's cell: within the draw's noise of it.
        for p in a.points { #expect(abs(p.recommendedTrueError - p.bestSeen) <= 1 + 1e-9) }
        #expect((0...1).contains(a.wastedShare))
    }

    @Test func eightWorkersSpendTheSameGPUSecondsInLessWallClock() throws {
        let one = try benchmark(workers: 1).run(strategy: "rs", seed: 3)
        let eight = try benchmark(workers: 8).run(strategy: "rs", seed: 3)
        #expect(eight.points.count == 40)
        let last = eight.points.last!
        #expect(last.time < one.points.last!.time / 4)
        #expect(last.gpuSeconds > last.time * 4)
    }

    @Test func aCellTrainedAgainIsDrawnAgainAndCosts() throws {
        // Local search on a tiny budget revisits cells in a noisy landscape only by retraining; a strategy
        // that proposes the same cell again gets a new draw each time (RandomSearch never does: 0 retrains).
        let rs = try benchmark(workers: 1).run(strategy: "rs", seed: 1)
        #expect(rs.retrains == 0)
        let runs = try benchmark(workers: 2, budget: 20).runAll(strategies: ["rs", "anasod-bo"], seeds: 2, firstSeed: 0, parallelism: 2)
        #expect(runs.map(\.strategy) == ["rs", "rs", "anasod-bo", "anasod-bo"])
        #expect(runs.allSatisfy { $0.points.count == 20 && $0.workers == 2 })
        let report = NoisyRunsReport(runs: runs).markdown()
        #expect(report.contains("| anasod-bo | "))
        #expect(report.contains("With 2 asynchronous workers"))
        #expect(NoisyRunsReport.seconds(3e5) == "3e5" && NoisyRunsReport.seconds(12_345) == "1.2e4")
        #expect(throws: (any Error).self) { try benchmark(workers: 1).runAll(strategies: ["nope"], seeds: 1, firstSeed: 0, parallelism: 1) }
    }
}
