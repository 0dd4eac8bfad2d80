import ANASOD
import Search
import Testing

/// Constraints known before training (issue 30): every strategy proposes feasible cells only, on the built-in
/// spaces and on a user's, whether the measure rules out whole encodings (a count-determined size) or only
/// single cells (a slot-dependent rule).
@Suite struct StrategyConstraintTests {
    static let names = StrategyFactory.names + ["encoding-groups"]
    static let spaces = ["nb201", "darts", "user-chain"]

    /// A size-like measure: each operation weighs its index; determined by the op counts, so the range over an
    /// encoding is the value itself.
    static func size(_ space: any SearchSpace) -> Feasibility.Measure {
        @Sendable func value(_ counts: [[Int]]) -> Double {
            counts.reduce(0.0) { total, cell in total + cell.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) } }
        }
        return Feasibility.Measure(value: { value(space.counts(of: $0)) }, range: { let v = value($0); return v...v })
    }

    /// The bound that leaves about `share` of random cells feasible.
    static func bound(_ space: any SearchSpace, measure: Feasibility.Measure, share: Double) -> Double {
        var rng = SeededGenerator(seed: 9)
        let values = (0..<400).map { _ in measure.value(space.randomArchitecture(using: &rng)) }.sorted()
        return values[Int(share * Double(values.count))]
    }

    static func feasibility(_ space: any SearchSpace, encodingLevel: Bool) throws -> Feasibility {
        let size = size(space)
        if encodingLevel {
            return try Feasibility(constraints: [Constraint(measure: "params", relation: .atMost, bound: bound(space, measure: size, share: 0.25))],
                                   measures: ["params": size])
        }
        // Cell level: the first slot of the first cell must not hold operation 0 (no range: no encoding is ruled out).
        let first = Feasibility.Measure(value: { Double($0.cells[0].operations[0]) })
        return try Feasibility(constraints: [Constraint(measure: "first", relation: .atLeast, bound: 1),
                                             Constraint(measure: "params", relation: .atMost, bound: bound(space, measure: size, share: 0.6))],
                               measures: ["first": first, "params": Feasibility.Measure(value: size.value)])
    }

    @Test(arguments: names, spaces)
    func everyProposalIsFeasible(name: String, spaceName: String) throws {
        let space = try StrategyConformanceTests.space(spaceName)
        let objective = SyntheticObjective(space: space)
        for encodingLevel in [true, false] {
            let feasibility = try Self.feasibility(space, encodingLevel: encodingLevel)
            var strategy = try StrategyFactory.make(name, space: space, seed: 3)
            strategy.constrain(to: feasibility)
            var pending = [Proposal]()
            var proposed = 0
            for _ in 0..<14 {
                let proposals = strategy.propose(count: 3, pending: pending)
                proposed += proposals.count
                for p in proposals {
                    #expect(feasibility.allows(p.architecture), "\(name) on \(spaceName) proposed \(space.format(p.architecture)), which breaks \(feasibility.violations(of: p.architecture))")
                }
                pending += proposals
                for _ in 0..<min(2, pending.count) {
                    let p = pending.removeFirst()
                    strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
                }
            }
            #expect(proposed >= 30, "\(name) on \(spaceName) proposed only \(proposed) feasible cells")
        }
    }

    @Test(arguments: ["anasod-bo-2s", "re", "rs"])
    func constrainedProposalsAreSeededlyDeterministic(name: String) throws {
        let space = NB201SearchSpace()
        let objective = SyntheticObjective(space: space)
        let feasibility = try Self.feasibility(space, encodingLevel: true)
        func run(_ seed: UInt64) throws -> [Architecture] {
            var strategy = try StrategyFactory.make(name, space: space, seed: seed)
            strategy.constrain(to: feasibility)
            var out = [Architecture]()
            for _ in 0..<12 {
                for p in strategy.propose(count: 2, pending: []) {
                    out.append(p.architecture)
                    strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
                }
            }
            return out
        }
        #expect(try run(4) == run(4))
        #expect(try run(4) != run(5))
    }

    @Test func anEncodingWithoutAFeasibleCellHoldsNone() throws {
        let space = NB201SearchSpace()
        var history = StrategyHistory(space: space, seed: 1)
        history.feasibility = try Self.feasibility(space, encodingLevel: true)
        let heavy = [[0, 0, 0, 0, 6]]  // every edge the heaviest operation
        let light = [[6, 0, 0, 0, 0]]
        #expect(history.remaining(counts: heavy) == 0)
        #expect(history.remaining(counts: light) == 1)
        var rng = SeededGenerator(seed: 2)
        #expect(CellSampler.unseen(counts: heavy, history: history, using: &rng) == nil)
    }

    @Test func limitsParseAndExplainWhatIsWrong() throws {
        #expect(try Constraint.parse(measure: "params", limit: "<= 0.5e6") == Constraint(measure: "params", relation: .atMost, bound: 5e5))
        #expect(try Constraint.parse(measure: "latency_ms", limit: "<15") == Constraint(measure: "latency_ms", relation: .below, bound: 15))
        #expect(try Constraint.parse(measure: "acc", limit: "≥ 0.9") == Constraint(measure: "acc", relation: .atLeast, bound: 0.9))
        #expect(try Constraint.parse("params>1e5") == Constraint(measure: "params", relation: .above, bound: 1e5))
        #expect(Constraint(measure: "params", relation: .atMost, bound: 5e5).description == "params <= 500000")
        for bad in ["0.5e6", "<= lots", "<= inf", "== 3", ""] {
            #expect(throws: SearchError.self) { try Constraint.parse(measure: "params", limit: bad) }
        }
        #expect(throws: SearchError.self) { try Constraint.parse("<=3") }
        #expect(throws: SearchError.self) { try Constraint.parse("params") }
        let c = Constraint(measure: "x", relation: .atMost, bound: 1)
        #expect(c.holds(for: 1) && !c.holds(for: 1.5) && !c.holds(for: .nan))
        #expect(c.mayHold(in: 0.5...3) && !c.mayHold(in: 1.5...3))
        #expect(!Constraint(measure: "x", relation: .below, bound: 1).holds(for: 1))
        #expect(Constraint(measure: "x", relation: .atLeast, bound: 1).mayHold(in: 0...1))
    }

    @Test func aConstraintOnAnUnknownMeasureIsRefused() {
        #expect(throws: SearchError.self) {
            try Feasibility(constraints: [Constraint(measure: "latency", relation: .atMost, bound: 1)],
                            measures: ["params": Feasibility.Measure(value: { _ in 0 })])
        }
    }
}
