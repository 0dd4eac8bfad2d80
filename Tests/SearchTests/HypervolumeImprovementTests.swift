import ANASOD
import BayesOpt
@testable import Search
import Testing

/// ANASOD-BO with several objectives (issue 30): the closed-form expected hypervolume improvement against the
/// exact hypervolume and a quadrature over the error, and the strategy seeded, replayable, feasible, and ahead of
/// random search in hypervolume.
@Suite struct HypervolumeImprovementTests {
    static func randomFront(_ rng: inout SeededGenerator, dimensions: Int) -> [[Double]] {
        (0..<(1 + rng.nextInt(below: 8))).map { _ in (0..<dimensions).map { _ in 10 * rng.nextUniform() } }
    }

    /// With the error known, the improvement is the growth of the exact hypervolume, in 2 and 3 objectives.
    @Test(arguments: [2, 3])
    func knownErrorGivesTheGrowthOfTheHypervolume(dimensions: Int) {
        var rng = SeededGenerator(seed: 40 + UInt64(dimensions))
        let reference = [Double](repeating: 10, count: dimensions)
        for _ in 0..<40 {
            let front = Self.randomFront(&rng, dimensions: dimensions)
            let ehvi = HypervolumeImprovement(points: front, reference: reference)
            for _ in 0..<10 {
                let p = (0..<dimensions).map { _ in 11 * rng.nextUniform() - 0.5 }
                let exact = ParetoFront.hypervolume(front + [p], reference: reference) - ParetoFront.hypervolume(front, reference: reference)
                let closed = ehvi.improvement(error: p[0], measures: Array(p.dropFirst()))
                #expect(abs(closed - exact) <= 1e-9 * max(1, exact), "front \(front), point \(p)")
                #expect(ehvi.expected(mean: p[0], deviation: 0, measures: Array(p.dropFirst())) == closed)
            }
        }
    }

    /// With the error normal, the closed form equals the improvement integrated over the error's density
    /// (composite Simpson's rule on ±10 σ, the improvement being piecewise linear in the error).
    @Test func expectationMatchesQuadrature() {
        var rng = SeededGenerator(seed: 7)
        let reference = [10.0, 10.0]
        for _ in 0..<30 {
            let front = Self.randomFront(&rng, dimensions: 2)
            let ehvi = HypervolumeImprovement(points: front, reference: reference)
            let mean = 12 * rng.nextUniform() - 1, sd = 0.05 + 3 * rng.nextUniform(), m = [10 * rng.nextUniform()]
            let steps = 20_000
            let low = mean - 10 * sd, h = 20 * sd / Double(steps)
            var integral = 0.0
            for i in 0...steps {
                let y = low + Double(i) * h
                let weight = i == 0 || i == steps ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
                integral += weight * ehvi.improvement(error: y, measures: m) * NormalDistribution.density((y - mean) / sd) / sd
            }
            integral *= h / 3
            let closed = ehvi.expected(mean: mean, deviation: sd, measures: m)
            #expect(abs(closed - integral) <= 1e-6 * max(1, integral), "front \(front), N(\(mean), \(sd)²) at \(m)")
        }
    }

    /// Believing a point is the same as building the grid with it; a dominated one changes nothing.
    @Test func believingAPointRebuildsTheFront() {
        var rng = SeededGenerator(seed: 9)
        let reference = [10.0, 10.0, 10.0]
        for _ in 0..<20 {
            let front = Self.randomFront(&rng, dimensions: 3)
            let extra = (0..<3).map { _ in 10 * rng.nextUniform() }
            var believed = HypervolumeImprovement(points: front, reference: reference)
            believed.believe(extra)
            let built = HypervolumeImprovement(points: front + [extra], reference: reference)
            for _ in 0..<10 {
                let m = [10 * rng.nextUniform(), 10 * rng.nextUniform()]
                let a = believed.expected(mean: 5, deviation: 1, measures: m), b = built.expected(mean: 5, deviation: 1, measures: m)
                #expect(abs(a - b) <= 1e-12 * max(1, a))
            }
        }
        var ehvi = HypervolumeImprovement(points: [[1, 1]], reference: [10, 10])
        let before = ehvi.expected(mean: 3, deviation: 1, measures: [0.5])
        ehvi.believe([2, 2])
        #expect(ehvi.front == [[1, 1]] && ehvi.expected(mean: 3, deviation: 1, measures: [0.5]) == before)
        // Nothing to gain at or beyond the reference.
        #expect(ehvi.expected(mean: 0, deviation: 1, measures: [10]) == 0)
    }

    static let size = MultiObjectiveTests.size

    static func strategy(_ name: String, seed: UInt64) throws -> any SearchStrategy {
        let space = NB201SearchSpace()
        return try MultiObjectiveStrategy.make(name: name, seed: seed, measures: [("size", size)]) {
            try StrategyFactory.make(name, space: space, seed: seed)
        }
    }

    /// Drives a strategy asynchronously (two in flight) on the synthetic objective; the events and the
    /// hypervolume of its results (error, size) under a fixed reference.
    static func drive(_ strategy: inout any SearchStrategy, steps: Int) -> (events: [StrategyEvent], volume: Double) {
        let objective = SyntheticObjective(space: NB201SearchSpace())
        var events = [StrategyEvent]()
        var pending = [Proposal]()
        var points = [[Double]]()
        var proposed = Set<Architecture>()
        for _ in 0..<steps {
            let proposals = strategy.propose(count: pending.isEmpty ? 2 : 1, pending: pending)
            for p in proposals { #expect(proposed.insert(p.architecture).inserted, "\(strategy.name) proposed a cell twice") }
            events.append(.proposed(proposals))
            pending += proposals
            guard !pending.isEmpty else { break }
            let p = pending.removeFirst()
            let o = Observation(architecture: p.architecture, value: objective(p.architecture))
            points.append([o.value!, size.value(p.architecture)])
            strategy.observe(o)
            events.append(.observed(o))
        }
        return (events, ParetoFront.hypervolume(points, reference: [6, 25]))
    }

    @Test func anasodBOSearchesTheFrontItselfAndBaselinesUnderParEGO() throws {
        #expect(try Self.strategy("anasod-bo", seed: 1) is ANASODBO)
        #expect(try Self.strategy("anasod-bo-2s", seed: 1) is ANASODBO)
        #expect(try Self.strategy("anasod-bo[mo=parego]", seed: 1) is ParEGO)
        #expect(try Self.strategy("re", seed: 1) is ParEGO)
        #expect(throws: SearchError.self) { try StrategyFactory.make("anasod-bo[mo=nsga]", space: NB201SearchSpace(), seed: 1) }
    }

    @Test(arguments: ["anasod-bo", "anasod-bo-2s"])
    func frontSearchIsSeededAndReplayable(name: String) throws {
        var a = try Self.strategy(name, seed: 3), b = try Self.strategy(name, seed: 3), c = try Self.strategy(name, seed: 4)
        let run = Self.drive(&a, steps: 24)
        #expect(run.events == Self.drive(&b, steps: 24).events)
        #expect(run.events != Self.drive(&c, steps: 24).events)
        var replayed = try Self.strategy(name, seed: 3)
        replayed.replay(run.events)
        #expect(replayed.propose(count: 4, pending: []) == a.propose(count: 4, pending: []))
    }

    @Test func frontSearchKeepsToConstraints() throws {
        var s = try Self.strategy("anasod-bo-2s", seed: 2)
        let limit = try Feasibility(constraints: [Constraint(measure: "size", relation: .atMost, bound: 10)], measures: ["size": Self.size])
        s.constrain(to: limit)
        for e in Self.drive(&s, steps: 20).events {
            if case .proposed(let ps) = e { #expect(ps.allSatisfy { limit.allows($0.architecture) }) }
        }
    }

    /// The acquisition steers: over 4 seeds, the front search's mean hypervolume after 30 results beats random
    /// search's (the synthetic objective, size the index sum of the operations).
    @Test func frontSearchBeatsRandomSearchInHypervolume() throws {
        var ours = 0.0, random = 0.0
        for seed in UInt64(0)..<4 {
            var s = try Self.strategy("anasod-bo-2s", seed: seed)
            ours += Self.drive(&s, steps: 30).volume
            var r = try Self.strategy("rs", seed: seed)
            random += Self.drive(&r, steps: 30).volume
        }
        #expect(ours > random, "hypervolume: anasod-bo-2s \(ours / 4), rs \(random / 4)")
    }
}
