import ANASOD
@testable import Search
import Testing

/// Several objectives (issue 30): dominance, the front and the hypervolume against brute force, and ParEGO's
/// scalarised strategies seeded, replayable and feasible.
@Suite struct MultiObjectiveTests {
    @Test func dominanceAndTheFront() {
        #expect(ParetoFront.dominates([1, 2], [2, 2]) && !ParetoFront.dominates([1, 2], [1, 2]) && !ParetoFront.dominates([1, 3], [2, 2]))
        let points: [[Double]] = [[1, 5], [2, 2], [3, 3], [5, 1], [2, 2], [4, 1], [.nan, 0]]
        #expect(ParetoFront.members(points) == [0, 1, 5])
    }

    /// Integer points: the dominated volume is the number of unit cells below the reference that some point
    /// dominates (a cell's low corner at or above a point in every objective).
    @Test(arguments: [2, 3])
    func hypervolumeIsTheCountOfDominatedUnitCells(dimensions: Int) {
        var rng = SeededGenerator(seed: UInt64(dimensions))
        let reference = [Double](repeating: 8, count: dimensions)
        for _ in 0..<20 {
            let points = (0..<Int(rng.nextInt(below: 7)) + 1).map { _ in (0..<dimensions).map { _ in Double(rng.nextInt(below: 10)) } }
            var count = 0
            func walk(_ corner: [Double]) {
                if corner.count == dimensions {
                    if points.contains(where: { p in zip(p, corner).allSatisfy { $0 <= $1 } }) { count += 1 }
                    return
                }
                for x in 0..<8 { walk(corner + [Double(x)]) }
            }
            walk([])
            #expect(ParetoFront.hypervolume(points, reference: reference) == Double(count), "\(points)")
        }
        #expect(ParetoFront.hypervolume([[9, 1]], reference: [8, 8]) == 0)
        #expect(ParetoFront.hypervolume([], reference: [8, 8]) == 0)
    }

    /// A size-like second objective, known before training: the index sum of the operations.
    static let size = Feasibility.Measure(value: { a in Double(a.cells.flatMap(\.operations).reduce(0, +)) })

    static func parego(_ name: String, seed: UInt64) throws -> ParEGO {
        let space = NB201SearchSpace()
        return try ParEGO(name: name, seed: seed, measures: [("size", size)]) { try StrategyFactory.make(name, space: space, seed: seed) }
    }

    func drive(_ strategy: inout ParEGO, steps: Int) -> [StrategyEvent] {
        let objective = SyntheticObjective(space: NB201SearchSpace())
        var events = [StrategyEvent]()
        var pending = [Proposal]()
        for _ in 0..<steps {
            let proposals = strategy.propose(count: 2, pending: pending)
            events.append(.proposed(proposals))
            pending += proposals
            let p = pending.removeFirst()
            let o = Observation(architecture: p.architecture, value: objective(p.architecture))
            strategy.observe(o)
            events.append(.observed(o))
        }
        return events
    }

    @Test(arguments: ["anasod-bo", "re", "rs"])
    func scalarisedStrategiesAreSeededAndReplayable(name: String) throws {
        var a = try Self.parego(name, seed: 3), b = try Self.parego(name, seed: 3), c = try Self.parego(name, seed: 4)
        let events = drive(&a, steps: 14)
        #expect(events == drive(&b, steps: 14))
        #expect(events != drive(&c, steps: 14))
        var replayed = try Self.parego(name, seed: 3)
        replayed.replay(events)
        #expect(replayed.propose(count: 3, pending: []) == a.propose(count: 3, pending: []))
        // The front holds the non-dominated results, each with both objectives.
        let front = a.front()
        #expect(!front.isEmpty)
        for p in front {
            #expect(!front.contains { ParetoFront.dominates($0.objectives, p.objectives) })
            #expect(p.objectives[1] == Self.size.value(p.architecture))
        }
    }

    /// An objective each result carries (the latency a worker measured) instead of one known before training:
    /// the front is built from the results' own values, a result without the measure has no place on it, and
    /// the proposals stay seeded and replayable.
    @Test(arguments: ["anasod-bo", "re"])
    func anObjectiveMeasuredInEvaluationComesFromTheResults(name: String) throws {
        let space = NB201SearchSpace()
        func make() throws -> ParEGO {
            try ParEGO(name: name, seed: 5, measures: [], measured: ["latency_ms"]) { try StrategyFactory.make(name, space: space, seed: 5) }
        }
        let objective = SyntheticObjective(space: space)
        func drive(_ s: inout ParEGO) -> [StrategyEvent] {
            var events = [StrategyEvent]()
            for step in 0..<16 {
                let proposals = s.propose(count: 1, pending: [])
                events.append(.proposed(proposals))
                guard let p = proposals.first else { continue }
                // Every fifth result carries no latency (a trainer that does not report it).
                let latency = step % 5 == 4 ? nil : 1 + Self.size.value(p.architecture) / 3
                let o = Observation(architecture: p.architecture, value: objective(p.architecture),
                                    measured: latency.map { ["latency_ms": $0] } ?? [:])
                s.observe(o)
                events.append(.observed(o))
            }
            return events
        }
        var a = try make(), b = try make()
        let events = drive(&a)
        #expect(events == drive(&b))
        var replayed = try make()
        replayed.replay(events)
        #expect(replayed.propose(count: 2, pending: []) == a.propose(count: 2, pending: []))
        let observed = events.compactMap { if case .observed(let o) = $0 { o } else { nil } }
        let points = observed.compactMap { o in o.measured["latency_ms"].map { [o.value!, $0] } }
        #expect(points.count == observed.count - observed.count / 5)
        let expected = Set(ParetoFront.members(points).map { points[$0] })
        #expect(Set(a.front().map(\.objectives)) == expected)
        #expect(a.weights(call: 0).count == 2)
    }

    @Test func weightsLieOnTheSimplexAndVary() throws {
        let s = try Self.parego("rs", seed: 1)
        let w = (0..<50).map { s.weights(call: $0) }
        #expect(w.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 && $0.allSatisfy { $0 > 0 } })
        #expect(w.map { $0[0] }.min()! < 0.2 && w.map { $0[0] }.max()! > 0.8)
    }

    /// The median scale: each objective from its least result to its median, above that held at 1, so values lie
    /// in [0, 1 + ρ]; the range scale puts the worst result of every objective at 1.
    @Test(arguments: ParEGO.Scale.allCases)
    func scalarisedValuesLieOnTheUnitScale(scale: ParEGO.Scale) throws {
        var s = try Self.parego("rs", seed: 5)
        s.scale = scale
        let events = drive(&s, steps: 20)
        var replayed = try Self.parego("rs", seed: 5)
        replayed.scale = scale
        replayed.replay(events)
        let values = replayed.scalarised(replayed.weights(call: 3))
        #expect(values.count == 20)
        #expect(values.values.allSatisfy { $0 >= 0 && $0 <= 1.05 + 1e-12 })
        // The two scales differ on the same results.
        var other = replayed
        other.scale = scale == .median ? .range : .median
        #expect(other.scalarised(other.weights(call: 3)) != values)
    }

    @Test func scalarisedProposalsKeepToConstraints() throws {
        var s = try Self.parego("anasod-bo", seed: 2)
        let limit = try Feasibility(constraints: [Constraint(measure: "size", relation: .atMost, bound: 10)], measures: ["size": Self.size])
        s.constrain(to: limit)
        for e in drive(&s, steps: 12) {
            if case .proposed(let ps) = e { #expect(ps.allSatisfy { limit.allows($0.architecture) }) }
        }
    }
}
