import ANASOD
@testable import Search
import Testing

/// The simulated cluster runs the coordinator's loop on a simulated clock.
@Suite struct ClusterSimulationTests {
    let space = NB201SearchSpace()

    func simulation(workers: Int, duration: @escaping @Sendable (Architecture, UInt64) -> Double) -> ClusterSimulation {
        let objective = SyntheticObjective(space: space)
        return ClusterSimulation(space: space, budget: 40, workers: workers, objective: { objective($0) }, duration: duration)
    }

    /// One worker is the sequential loop: the same curve as the plain benchmark with batches of one.
    @Test(arguments: ["rs", "re", "anasod-bo"])
    func oneWorkerIsTheSequentialLoop(strategy: String) throws {
        let objective = SyntheticObjective(space: space)
        let sequential = try SearchBenchmark(space: space, budget: 40, batch: 1) { objective($0) }.run(strategy: strategy, seed: 3)
        let simulated = try simulation(workers: 1) { _, _ in 2 }.run(strategy: strategy, seed: 3)
        #expect(simulated.curve == sequential.curve)
        #expect(simulated.times == (1...40).map { 2 * Double($0) })
        #expect(simulated.idleShare == 0)
    }

    /// W workers with a constant time finish in rounds of W.
    @Test func workersRunInParallelOnTheClock() throws {
        let run = try simulation(workers: 8) { _, _ in 1 }.run(strategy: "rs", seed: 1)
        #expect(run.curve.count == 40)
        #expect(run.times == (1...40).map { Double(($0 + 7) / 8) })
        #expect(run.workers == 8)
    }

    /// Proposals see every running evaluation as pending; the same seed gives the same run.
    @Test func theSameSeedGivesTheSameRun() throws {
        let duration: @Sendable (Architecture, UInt64) -> Double = { arch, seed in
            Double((NB201SearchSpace().index(of: arch) &+ Int(seed)) % 7 + 1)
        }
        let a = try simulation(workers: 4, duration: duration).run(strategy: "anasod-bo", seed: 5)
        let b = try simulation(workers: 4, duration: duration).run(strategy: "anasod-bo", seed: 5)
        #expect(a.curve == b.curve)
        #expect(a.times == b.times)
        #expect(a.times.map { zip($0, $0.dropFirst()).allSatisfy { $0 <= $1 } } == true)  // the clock never runs back
        let c = try simulation(workers: 4, duration: duration).run(strategy: "anasod-bo", seed: 6)
        #expect(a.curve != c.curve)
    }
}

/// ANASOD-BO's options for experiments, and the bounded hyperparameter fit.
@Suite struct StrategyOptionTests {
    @Test func optionsInBracketsConfigureANASODBO() throws {
        let s = try StrategyFactory.make("anasod-bo[pool=2000,pending=ts,fail=12]", space: NB201SearchSpace(), seed: 1)
        let bo = try #require(s as? ANASODBO)
        #expect(bo.configuration.poolSize == 2000)
        #expect(bo.configuration.pending == .thompson)
        #expect(bo.configuration.trustRegion.failureTolerance == 12)
        #expect(bo.name == "anasod-bo[pool=2000,pending=ts,fail=12]")
        let two = try #require(try StrategyFactory.make("anasod-bo-2s[pool=100]", space: NB201SearchSpace(), seed: 1) as? ANASODBO)
        #expect(two.configuration.withinEncoding == .cellModel)
        for bad in ["anasod-bo[pool]", "anasod-bo[colour=red]", "anasod-bo[pending=maybe]", "re[pool=3]"] {
            #expect(throws: SearchError.self, "\(bad)") { try StrategyFactory.make(bad, space: NB201SearchSpace(), seed: 1) }
        }
    }

    @Test func theFitSubsampleIsEvenAndKeepsTheEnds() {
        #expect(Surrogate.evenSubsample(5, 10) == [0, 1, 2, 3, 4])
        let picked = Surrogate.evenSubsample(1000, 256)
        #expect(picked.count == 256 && Set(picked).count == 256)
        #expect(picked.first == 0 && picked.last == 999)
        #expect(zip(picked, picked.dropFirst()).allSatisfy { $1 - $0 >= 3 && $1 - $0 <= 4 })
    }

    @Test func theConditioningSetIsBoundedKeepsTheBestAndWholePoints() {
        // 12 observations of 6 distinct points: under the limit, everything is kept.
        let points: [[Double]] = (0..<12).map { [Double($0 % 6)] }
        let values = (0..<12).map { Double(($0 * 7) % 12) }  // index 0 (value 0) is the best
        #expect(Surrogate.conditioningSet(features: points, values: values, limit: 6) == nil)
        let kept = Surrogate.conditioningSet(features: points, values: values, limit: 3)!
        let keptPoints = Set(kept.map { points[$0] })
        #expect(keptPoints.count == 3)
        #expect(kept.contains(0))  // the best
        #expect(kept.contains(11))  // the most recent
        // Every observation of a kept point is kept (they fold into one point of the GP).
        for i in 0..<12 where keptPoints.contains(points[i]) { #expect(kept.contains(i)) }
        #expect(kept == kept.sorted())
    }

    @Test func aModelOnManyDistinctPointsIsConditionedOnTheLimit() throws {
        var surrogate = Surrogate(configuration: .init(restarts: 1, maxIterations: 5, maxConditionPoints: 40), salt: 1)
        let features = (0..<100).map { [Double($0) / 100, Double(($0 * 37) % 100) / 100] }
        let values = features.map { $0[0] + $0[1] }
        surrogate.advance(successes: 100)
        let model = try surrogate.model(features: features, values: values, seed: 3)
        #expect(model.gp.data.count == 40)
        #expect(model.targets.count == 100)
    }
}
