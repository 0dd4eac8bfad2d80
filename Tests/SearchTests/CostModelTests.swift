import ANASOD
import BayesOpt
import Foundation
@testable import Search
import Testing

/// The cost model and the cost-aware acquisition of ANASOD-BO (issue 26).
@Suite struct CostModelTests {
    let space = NB201SearchSpace()

    /// Seconds as NB201's: 500 s of overhead plus 40 s per 3×3 and 8 s per 1×1 convolution.
    func seconds(_ a: Architecture) -> Double {
        let counts = space.counts(of: a)[0]
        return 500 + 40 * Double(counts[3]) + 8 * Double(counts[2])
    }

    func history(_ n: Int, seed: UInt64 = 5) -> StrategyHistory {
        var h = StrategyHistory(space: space, seed: seed)
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<n {
            let a = space.architecture(at: Int.random(in: 0..<NB201SearchSpace.cellCount, using: &rng))
            h.record(Observation(architecture: a, value: 10, seconds: seconds(a)))
        }
        return h
    }

    @Test func beforeDataTheRatioOfTwoCostsIsTheRatioOfTheirFLOPs() throws {
        var model = CostModel()
        let cheap = [[6, 0, 0, 0, 0]], dear = [[0, 0, 0, 6, 0]]
        let out = try model.logSeconds(at: [cheap, dear], history: history(2))
        let ratio = exp(out[1] - out[0])
        #expect(abs(ratio - space.relativeCost(counts: dear)! / space.relativeCost(counts: cheap)!) < 1e-9)
    }

    @Test func learnsSecondsFromResultsAndPredictsUnseenEncodings() throws {
        var model = CostModel()
        let h = history(40)
        model.advance(h)
        let probes: [[[Int]]] = [[[0, 2, 2, 2, 0]], [[1, 1, 0, 4, 0]], [[3, 3, 0, 0, 0]], [[0, 0, 6, 0, 0]]]
        let predicted = try model.logSeconds(at: probes, history: h).map { exp($0) }
        for (counts, p) in zip(probes, predicted) {
            let truth = 500 + 40 * Double(counts[0][3]) + 8 * Double(counts[0][2])
            #expect(abs(p - truth) / truth < 0.08, "predicted \(p) s for \(counts), true \(truth) s")
        }
    }

    @Test func anOffsetTurnsTheSamePosteriorIntoTheCheaperPick() throws {
        // Two candidates with the same posterior: without offsets the first (lower index) wins; a cost offset
        // makes the cheaper second win.
        let data = try GPData(points: [[0.0], [1.0]], targets: [0, 1])
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: data,
                                     hyperparameters: GPHyperparameters(lengthscales: [1], outputScale: 1, noise: 1e-4))
        let posterior = gp.posterior(at: [0.5, 0.5], count: 2)
        var selector = BatchSelector()
        #expect(selector.select(count: 1, posterior: posterior, candidateCount: 2, best: 0, observed: [0, 1]) == [0])
        selector.logOffsets = [-log(3000), -log(600)]
        #expect(selector.select(count: 1, posterior: posterior, candidateCount: 2, best: 0, observed: [0, 1]) == [1])
    }

    @Test func carboFadesTheCostExponentOverTheBudget() throws {
        var configuration = ANASODBO.Configuration()
        try configuration.apply("cost", "carbo")
        try configuration.apply("budget", "56")
        var bo = ANASODBO(space: space, seed: 1, configuration: configuration)
        #expect(bo.costExponent == 1)  // before the initial design ends
        var rng = SeededGenerator(seed: 2)
        for i in 0..<31 {
            let a = space.architecture(at: Int.random(in: 0..<NB201SearchSpace.cellCount, using: &rng))
            bo.observe(Observation(architecture: a, value: Double(i % 7), seconds: seconds(a)))
        }
        #expect(abs(bo.costExponent - 0.5) < 1e-12)  // (56 − 31) / (56 − 6)
        #expect(throws: SearchError.self) { try configuration.apply("cost", "cheap") }
        // The budget comes from the study when the options do not name one.
        let made = try StrategyFactory.make("anasod-bo[cost=carbo]", space: space, seed: 1, budget: 300) as! ANASODBO
        #expect(made.configuration.budget == 300)
    }

    @Test func costAwareProposalsAreCheaperAtTheSameData() throws {
        // The same noisy observations (a flat objective, costs as `seconds`): EI per second proposes cells
        // that cost less on average than EI alone.
        func meanSeconds(_ cost: String) throws -> Double {
            var total = 0.0, count = 0.0
            for seed in UInt64(0)..<4 {
                var bo = try StrategyFactory.make("anasod-bo[cost=\(cost)]", space: space, seed: seed)
                var rng = SeededGenerator(seed: 100 + seed)
                for _ in 0..<30 {
                    for p in bo.propose(count: 1, pending: []) {
                        let noise = Double.random(in: 0..<1, using: &rng)
                        bo.observe(Observation(architecture: p.architecture, value: 10 + noise, seconds: seconds(p.architecture)))
                        total += seconds(p.architecture)
                        count += 1
                    }
                }
            }
            return total / count
        }
        // The cheapest cell costs 500 s: EI per second's excess over it is under half of EI alone's.
        let unaware = try meanSeconds("none"), aware = try meanSeconds("eips")
        #expect(aware - 500 < 0.5 * (unaware - 500), "EI per second spent \(aware) s a cell, EI alone \(unaware) s")
    }
}
