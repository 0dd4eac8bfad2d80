import ANASOD
import BayesOpt
import Foundation
@testable import Search
import Testing

/// `SearchStrategy.recommendation()` and ANASOD-BO's retrains (issue 26).
@Suite struct RecommendationTests {
    let space = NB201SearchSpace()

    /// A noisy objective: the synthetic value plus noise of SD 0.3 drawn by (cell, attempt).
    func noisy(_ objective: SyntheticObjective, _ a: Architecture, attempt: Int) -> Double {
        var rng = SeededGenerator(seed: UInt64(space.index(of: a)), stream: UInt64(attempt))
        return objective(a) + 0.3 * rng.nextNormal()
    }

    func run(_ name: String, seed: UInt64, evaluations: Int) throws -> (strategy: any SearchStrategy, attempts: [Architecture: Int]) {
        let objective = SyntheticObjective(space: space)
        var strategy = try StrategyFactory.make(name, space: space, seed: seed)
        var attempts = [Architecture: Int]()
        while attempts.values.reduce(0, +) < evaluations {
            let proposals = strategy.propose(count: 1, pending: [])
            #expect(proposals.count == 1)
            for p in proposals {
                let k = attempts[p.architecture, default: 0]
                attempts[p.architecture] = k + 1
                strategy.observe(Observation(architecture: p.architecture, value: noisy(objective, p.architecture, attempt: k)))
            }
        }
        return (strategy, attempts)
    }

    @Test func theOthersRecommendTheBestSeen() throws {
        var (rs, _) = try run("rs", seed: 3, evaluations: 30)
        let history = (rs as! RandomSearch).history
        let found = rs.recommendation()
        let recommendation = try #require(found)
        #expect(recommendation.architecture == history.best!.architecture)
        #expect(recommendation.estimate == history.best!.value && recommendation.observations == 1)
        // The encoding-GP variant of ANASOD-BO, too: its GP gives every cell of an encoding one mean.
        var (bo, _) = try run("anasod-bo", seed: 3, evaluations: 30)
        #expect(bo.recommendation() == (bo as! ANASODBO).history.bestSeenRecommendation)
        var empty = RandomSearch(space: space, seed: 0)
        #expect(empty.recommendation() == nil)
    }

    @Test func boRecommendsTheLowestPosteriorMeanAmongEvaluatedCells() throws {
        let (strategy, _) = try run("anasod-bo-2s", seed: 4, evaluations: 40)
        var bo = strategy as! ANASODBO
        let found = bo.recommendation()
        let recommendation = try #require(found)
        // Brute force: the same cell GP's posterior mean at every evaluated cell.
        let model = try bo.cellSurrogate.model(features: bo.history.successes.map { bo.cellFeatures.vector($0.architecture) },
                                               values: bo.history.successes.map(\.value), seed: bo.history.seed)
        let cells = Array(Set(bo.history.successes.map(\.architecture)))
        let means = cells.map { model.gp.posterior(at: bo.cellFeatures.vector($0), count: 1).mean[0] }
        let lowest = means.min()!
        let i = try #require(cells.firstIndex(of: recommendation.architecture))
        #expect(abs(means[i] - lowest) < 1e-12)
        #expect(abs(recommendation.estimate - model.scale.original(lowest)) < 1e-9)
        // On the objective's scale: within the observed range.
        let values = bo.history.successes.map(\.value)
        #expect(recommendation.estimate > values.min()! - 1 && recommendation.estimate < values.max()!)
    }

    @Test func retrainsAreDeliberateBoundedAndReplayable() throws {
        let name = "anasod-bo-2s[retrain=3,doubt=0.1,retrain-share=0.3]"
        let (strategy, attempts) = try run(name, seed: 6, evaluations: 60)
        let retrains = attempts.values.reduce(0, +) - attempts.count
        #expect(retrains > 0, "no cell was trained again")
        // The repeats taught the cell GP its noise: single runs alone let it interpolate, noise at the floor.
        var bo = strategy as! ANASODBO
        let model = try bo.cellSurrogate.model(features: bo.history.successes.map { bo.cellFeatures.vector($0.architecture) },
                                               values: bo.history.successes.map(\.value), seed: bo.history.seed)
        #expect(model.gp.hyperparameters.noise > 1e-3)
        #expect(attempts.values.allSatisfy { $0 <= 3 })
        #expect(Double(retrains) <= 0.3 * 60 + 1)
        // The same seed, the same retrains.
        #expect(try run(name, seed: 6, evaluations: 60).attempts == attempts)
        // A pending cell is never trained again.
        var again = try StrategyFactory.make(name, space: space, seed: 6)
        let objective = SyntheticObjective(space: space)
        let first = again.propose(count: 8, pending: [])
        for p in first { again.observe(Observation(architecture: p.architecture, value: objective(p.architecture))) }
        let busy = again.propose(count: 2, pending: [])
        let next = again.propose(count: 4, pending: busy)
        #expect(Set(next.map(\.architecture)).isDisjoint(with: busy.map(\.architecture)))
    }
    @Test func deterministicEvaluationsTurnTheDefaultRetrainsOff() throws {
        func runs(_ strategy: any SearchStrategy) -> Int { (strategy as! ANASODBO).configuration.retrainRuns }
        #expect(runs(try StrategyFactory.make("anasod-bo-2s", space: space, seed: 1)) == 2)
        #expect(runs(try StrategyFactory.make("anasod-bo-2s", space: space, seed: 1, deterministic: true)) == 1)
        // Options the user names win.
        #expect(runs(try StrategyFactory.make("anasod-bo-2s[retrain=3]", space: space, seed: 1, deterministic: true)) == 3)
        #expect(runs(try StrategyFactory.make("anasod-bo", space: space, seed: 1)) == 1)
    }
    @Test func aFailedNoiseProbeIsFollowedByAnotherAndProbesGoOneAtATime() throws {
        let objective = SyntheticObjective(space: space)
        var bo = try StrategyFactory.make("anasod-bo-2s[retrain-share=0.5]", space: space, seed: 11)
        var seen = Set<Architecture>(), probes = [Architecture]()
        for _ in 0..<40 where probes.count < 2 {
            let p = try #require(bo.propose(count: 1, pending: []).first)
            if seen.contains(p.architecture) {
                probes.append(p.architecture)
                // The first probe fails (a crashed retrain); the second succeeds.
                bo.observe(Observation(architecture: p.architecture, value: probes.count == 1 ? nil : objective(p.architecture)))
            } else {
                seen.insert(p.architecture)
                bo.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        #expect(probes.count == 2 && probes[0] != probes[1], "probes: \(probes.count)")
        // With a probe pending, no second one.
        var again = try StrategyFactory.make("anasod-bo-2s[retrain-share=0.5]", space: space, seed: 11)
        for _ in 0..<12 {
            for p in again.propose(count: 1, pending: []) {
                again.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        let first = again.propose(count: 1, pending: [])
        let second = again.propose(count: 3, pending: first)
        let evaluated = Set((again as! ANASODBO).history.observations.map(\.architecture))
        #expect((first + second).filter { evaluated.contains($0.architecture) }.count <= 1)
    }
}
