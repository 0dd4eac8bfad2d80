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

    /// A limit known only from results (`bench --runs --measured`): every result carries the measure, the cells
    /// that break it are counted and never the best seen (that ANASOD-BO learns such a limit: OutcomeConstraintTests;
    /// the measure here, the cell's index mod 7, is no function of the encoding).
    @Test func aLimitMeasuredInEvaluationIsCountedAndKeptOutOfTheBest() throws {
        let space = self.space
        let latency = Feasibility.Measure(value: { Double(space.index(of: $0) % 7) })
        var limits = benchmark(workers: 1, budget: 30)
        limits.feasibility = try Feasibility(constraints: [Constraint(measure: "latency_ms", relation: .atMost, bound: 1)],
                                             measures: [:], measuredInEvaluation: ["latency_ms"])
        limits.measuredInEvaluation = ["latency_ms": latency]
        let free = try benchmark(workers: 1, budget: 30).run(strategy: "rs", seed: 3)
        let random = try limits.run(strategy: "rs", seed: 3)
        #expect(random.constrained && random.infeasible > 0 && random.infeasible < 30)
        // The same proposals as without the limit (random search does not model it), but a best seen only over
        // the cells that keep to it, so never better than the unconstrained one.
        for (p, q) in zip(random.points, free.points) { #expect(p.bestSeen >= q.bestSeen) }
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
    @Test func reachIsWhereTheMeanCurveFirstGetsToTheTarget() throws {
        // Two runs of "x", points (gpu s, best seen): run 1 (10, 5) (20, 3) (40, 1); run 2 (15, 4) (30, 2) (50, 2).
        func run(_ strategy: String, _ points: [(Double, Double)]) -> NoisyRunsBenchmark.Run {
            NoisyRunsBenchmark.Run(strategy: strategy, seed: 0, workers: 1,
                                   points: points.map { .init(time: $0.0, gpuSeconds: $0.0, bestSeen: $0.1, recommendedTrueError: $0.1 + 1) },
                                   wastedShare: 0, retrains: 0)
        }
        let report = NoisyRunsReport(runs: [run("x", [(10, 5), (20, 3), (40, 1)]), run("x", [(15, 4), (30, 2), (50, 2)])])
        // Means by hand: at 15 (5+4)/2 = 4.5, at 20 (3+4)/2 = 3.5, at 30 (3+2)/2 = 2.5, at 40 (1+2)/2 = 1.5.
        #expect(report.reach("x", \.bestSeen, target: 3.5, by: \.gpuSeconds) == 20)
        #expect(report.reach("x", \.bestSeen, target: 3.0, by: \.gpuSeconds) == 30)
        #expect(report.reach("x", \.bestSeen, target: 1.5, by: \.gpuSeconds) == 40)
        #expect(report.reach("x", \.bestSeen, target: 1.4, by: \.gpuSeconds) == nil)  // run 1 stops at 40 … mean at 50 needs run 1 past 50
        #expect(report.reach("x", \.bestSeen, target: 9, by: \.gpuSeconds) == 15)  // at 10 run 2 has no point yet
        #expect(report.reachTable() == nil)  // no random search to compare with
        let table = try #require(NoisyRunsReport(runs: [run("rs", (1...60).map { (Double($0) * 10, 100 - Double($0)) }),
                                                       run("x", (1...60).map { (Double($0) * 5, 100 - Double($0)) })]).reachTable())
        // Random search after 50: 50 % at 500 s; x gets there at its 50th evaluation, 250 s: a share of 0.50.
        #expect(table.contains("| x | 2.5e2 | 0.50 |"), "\(table)")
        #expect(table.contains("| rs | 5e2 (its 50 evaluations) | 1.00 |"))
    }
}
