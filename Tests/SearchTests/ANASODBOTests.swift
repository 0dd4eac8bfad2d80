import ANASOD
import BayesOpt
@testable import Search
import Testing

@Suite struct ANASODBOTests {
    let space = NB201SearchSpace()

    func bestAfter(_ name: String, seed: UInt64, evaluations: Int, batch: Int = 1) throws -> Double {
        let objective = SyntheticObjective(space: space)
        let benchmark = SearchBenchmark(space: space, budget: evaluations, batch: batch) { objective($0) }
        return try benchmark.run(strategy: name, seed: seed).curve.last!
    }

    @Test func beatsRandomSearchOnASyntheticObjective() throws {
        var bo = 0.0, rs = 0.0
        for seed in 0..<3 as Range<UInt64> {
            bo += try bestAfter("anasod-bo", seed: seed, evaluations: 30)
            rs += try bestAfter("rs", seed: seed, evaluations: 30)
        }
        #expect(bo < rs)
    }

    @Test(arguments: [PendingPolicy.krigingBeliever, .constantLiar(.min), .constantLiar(.max), .localPenalization])
    func batchProposalsAreDistinctUnderEveryPendingPolicy(policy: PendingPolicy) throws {
        var configuration = ANASODBO.Configuration()
        configuration.pending = policy
        configuration.initialEvaluations = 6
        var strategy = ANASODBO(space: space, seed: 4, configuration: configuration)
        let objective = SyntheticObjective(space: space)
        for _ in 0..<3 {
            for p in strategy.propose(count: 4, pending: []) {
                strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        let pending = strategy.propose(count: 4, pending: [])
        let batch = strategy.propose(count: 8, pending: pending)
        #expect(batch.count == 8)
        #expect(Set(batch.map(\.architecture)).count == 8)
        #expect(Set(batch.map(\.architecture)).isDisjoint(with: pending.map(\.architecture)))
        // The batch is diverse in encodings, not eight cells of one encoding.
        #expect(Set(batch.map { space.counts(of: $0.architecture) }).count >= 2)
    }

    @Test func trustRegionRaisesOnSuccessesAndCollapsesOnFailures() {
        var region = TrustRegion(successTolerance: 2, failureTolerance: 3, initialBeta: 1, maxBeta: 4)
        #expect(region.beta == 0)
        for _ in 0..<2 { region.update(improved: true) }
        #expect(region.beta == 1)
        for _ in 0..<6 { region.update(improved: true) }
        #expect(region.beta == 4)  // capped
        for _ in 0..<3 { region.update(improved: false) }
        #expect(region.beta == 2)
        for _ in 0..<6 { region.update(improved: false) }
        #expect(region.beta == 0)  // collapsed back to uniform
    }
}
