import ANASOD
@testable import Search
import Testing

/// `anasod bench --curves` (issue 28): early stopping replayed on a curve set, proposals kept to the set.
@Suite struct CurvesBenchmarkTests {
    let space = NB201SearchSpace()

    /// 300 cells, 9 epochs: each cell's curve falls from 90 % to its final error, in order.
    func curves() -> [CurvesBenchmark.Curve] {
        let objective = SyntheticObjective(space: space)
        return (0..<300).map { i in
            let a = space.architecture(at: i * 52)
            let final = objective(a)
            let errors: [Double] = (1...9).map { (e: Int) -> Double in
                let left = 1 - Double(e) / 9
                return final + (90 - final) * left * left
            }
            return CurvesBenchmark.Curve(architecture: a, errors: errors)
        }
    }

    @Test func earlyStoppingSpendsItsEpochsOnMoreCellsAndFindsAsGoodABest() throws {
        let set = curves()
        let stopping = EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 9)
        let full = try CurvesBenchmark(space: space, curves: set, budgetEpochs: 40 * 9, workers: 2, stopping: nil)
        let early = try CurvesBenchmark(space: space, curves: set, budgetEpochs: 40 * 9, workers: 2, stopping: stopping)
        for seed: UInt64 in [1, 2] {
            let a = try full.run(strategy: "rs", seed: seed)
            let b = try early.run(strategy: "rs", seed: seed)
            #expect(a.cellsStarted >= 40 && a.cellsStarted <= 42 && a.cellsStopped == 0 && a.stoppedEpochs == 0)
            #expect(b.cellsStarted > 2 * a.cellsStarted && b.cellsStopped > 0 && b.stoppedEpochs > 0)
            #expect(a.points.last!.epochs == 360 && b.points.last!.epochs == 360)
            #expect(b.best(after: 360) <= a.best(after: 360))
            // Deterministic in the seed.
            #expect(try early.run(strategy: "rs", seed: seed).points.map(\.best) == b.points.map(\.best))
        }
        // ANASOD-BO's proposals are kept to the set (the best is some cell's final error).
        let small = try CurvesBenchmark(space: space, curves: set, budgetEpochs: 8 * 9, workers: 2, stopping: stopping)
        let bo = try small.run(strategy: "anasod-bo-2s", seed: 3)
        #expect(bo.best(after: 72).isFinite && set.contains { $0.errors.last! == bo.best(after: 72) })
    }

    @Test func aProposalOutsideTheSetIsReplacedByTheNearestUntrainedCell() throws {
        let set = Array(curves().prefix(20))
        let bench = try CurvesBenchmark(space: space, curves: set, budgetEpochs: 9, workers: 1, stopping: nil)
        var rng = SeededGenerator(seed: 1)
        let inside = Proposal(architecture: set[4].architecture, encoding: space.encode(set[4].architecture))
        #expect(bench.substitute(inside, used: [], rng: &rng) == 4)
        let counts = space.counts(of: set[4].architecture)
        let sameCounts = set.indices.filter { space.counts(of: set[$0].architecture) == counts && $0 != 4 }
        let pick = try #require(bench.substitute(inside, used: [4], rng: &rng))
        if sameCounts.isEmpty {
            let distance = { (i: Int) in zip(space.counts(of: set[i].architecture).joined(), counts.joined()).reduce(0) { $0 + abs($1.0 - $1.1) } }
            #expect(distance(pick) == set.indices.filter { $0 != 4 }.map(distance).min())
        } else {
            #expect(sameCounts.contains(pick))
        }
        #expect(bench.substitute(inside, used: Set(set.indices), rng: &rng) == nil)
    }
}
