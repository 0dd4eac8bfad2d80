import ANASOD
import Search
import Testing

/// One shared suite over every `SearchStrategy`, on the built-in spaces and on user-defined ones (issue 29:
/// a chain, a fixed DAG, DARTS-like searched connectivity with two cell types, a chain whose slots restrict
/// their operations).
@Suite struct StrategyConformanceTests {
    static let names = StrategyFactory.names + StrategyFactory.measurements
    static let spaces = ["nb201", "darts", "user-chain", "user-dag", "user-darts", "user-restricted", "user-restricted-darts", "user-cell-ops"]
    let space = NB201SearchSpace()

    static func space(_ name: String) throws -> any SearchSpace {
        switch name {
        case "user-chain":
            return try SlotSearchSpace(name: "chain8", operations: ["identity", "dense_relu", "dense_tanh", "residual", "bottleneck"],
                                       slots: 8)
        case "user-dag":
            return try SlotSearchSpace(name: "dag", operations: ["zero", "skip", "conv", "pool"],
                                       wiring: .dag(edges: [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (0, 4), (3, 4)]
                                           .map { SlotWiring.Edge(source: $0, target: $1) }))
        case "user-restricted":
            return try SlotSearchSpace(name: "restricted", operations: ["identity", "dense_relu", "dense_tanh", "residual", "bottleneck"],
                                       slots: 8, allowed: [0: ["dense_relu", "dense_tanh"]], forbidden: [7: ["identity"], 3: ["residual"]])
        case "user-restricted-darts":
            // Connectivity searched and slot 0 holding only sep3: most Dirichlet draws round to counts without
            // a cell (no sep3) and must be moved to the nearest grid point that has cells.
            return try SlotSearchSpace(name: "restricted-cells", operations: ["sep3", "sep5", "max", "skip", "dil3"],
                                       cellTypes: ["normal", "reduce"], wiring: .darts(nodes: 3, inputs: 2, edgesPerNode: 2),
                                       allowed: [0: ["sep3"]], forbidden: [5: ["skip", "max"]])
        case "user-cell-ops":
            // Cell types with operations of their own: a chain of 6 slots, the second type without 'b' and 'c'.
            return try SlotSearchSpace(name: "cell-ops", operations: ["a", "b", "c", "d", "e"], slots: 6, cellTypes: ["first", "second"],
                                       cellOperations: ["first": ["a", "b", "c"], "second": ["a", "d", "e"]])
        case "user-darts":
            return try SlotSearchSpace(name: "cells", operations: ["sep3", "sep5", "max", "skip", "dil3"], cellTypes: ["normal", "reduce"],
                                       wiring: .darts(nodes: 3, inputs: 2, edgesPerNode: 2))
        default:
            return try SpaceName(parsing: name).space
        }
    }

    /// An asynchronous pattern: batches of 3, observing 2 of every 3 before proposing again with the rest
    /// pending, one evaluation failing in every 7.
    func drive(_ strategy: inout any SearchStrategy, steps: Int, objective: SyntheticObjective)
        -> (events: [StrategyEvent], pending: [Proposal], proposals: [Proposal]) {
        var events = [StrategyEvent]()
        var pending = [Proposal]()
        var all = [Proposal]()
        var observed = 0
        for _ in 0..<steps {
            let proposals = strategy.propose(count: 3, pending: pending)
            events.append(.proposed(proposals))
            all += proposals
            pending += proposals
            for _ in 0..<min(2, pending.count) {
                let p = pending.removeFirst()
                observed += 1
                let value: Double? = observed % 7 == 0 ? nil : objective(p.architecture)
                let observation = Observation(architecture: p.architecture, value: value)
                strategy.observe(observation)
                events.append(.observed(observation))
            }
        }
        return (events, pending, all)
    }

    @Test(arguments: names, spaces)
    func sameSeedSameProposals(name: String, spaceName: String) throws {
        let space = try Self.space(spaceName)
        let objective = SyntheticObjective(space: space)
        var a = try StrategyFactory.make(name, space: space, seed: 5)
        var b = try StrategyFactory.make(name, space: space, seed: 5)
        var c = try StrategyFactory.make(name, space: space, seed: 6)
        let runA = drive(&a, steps: 12, objective: objective)
        let runB = drive(&b, steps: 12, objective: objective)
        let runC = drive(&c, steps: 12, objective: objective)
        #expect(runA.proposals == runB.proposals)
        #expect(runA.proposals != runC.proposals)
    }

    @Test(arguments: names, spaces)
    func replayRebuildsTheSameState(name: String, spaceName: String) throws {
        let space = try Self.space(spaceName)
        let objective = SyntheticObjective(space: space)
        var original = try StrategyFactory.make(name, space: space, seed: 9)
        let run = drive(&original, steps: 14, objective: objective)
        var replayed = try StrategyFactory.make(name, space: space, seed: 9)
        replayed.replay(run.events)
        let next = original.propose(count: 4, pending: run.pending)
        let again = replayed.propose(count: 4, pending: run.pending)
        #expect(!next.isEmpty)
        #expect(next == again)
    }

    /// The most runs a strategy gives one cell: `anasod-bo-2s` retrains a cell deliberately (a noise probe, then
    /// a cell whose rank against its recommendation is in doubt), up to two runs; the others never repeat one.
    static func runsPerCell(_ name: String) -> Int { name == "anasod-bo-2s" ? 2 : 1 }

    /// One propose call and what the strategy knew when it made it.
    struct Call {
        var proposals: [Proposal]
        var pending: [Proposal] = []
        var failedBefore: Set<Architecture> = []
    }

    /// No cell twice in one call, none pending, none that had failed, and none more often than `runsPerCell`.
    func checkRepeats(_ name: String, _ calls: [Call], sourceLocation: SourceLocation = #_sourceLocation) {
        var runs = [Architecture: Int]()
        for call in calls {
            let cells = call.proposals.map(\.architecture)
            #expect(Set(cells).count == cells.count, "a cell twice in one call", sourceLocation: sourceLocation)
            #expect(Set(cells).isDisjoint(with: call.pending.map(\.architecture)), "a pending cell proposed again",
                    sourceLocation: sourceLocation)
            #expect(Set(cells).isDisjoint(with: call.failedBefore), "a failed cell proposed again", sourceLocation: sourceLocation)
            for cell in cells { runs[cell, default: 0] += 1 }
        }
        #expect(runs.values.allSatisfy { $0 <= Self.runsPerCell(name) }, "\(name): \(runs.values.max() ?? 0) runs of one cell",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: names, spaces)
    func proposalsAreDistinctAndRepeatedOnlyAsRetrains(name: String, spaceName: String) throws {
        let space = try Self.space(spaceName)
        let objective = SyntheticObjective(space: space)
        var strategy = try StrategyFactory.make(name, space: space, seed: 3)
        let run = drive(&strategy, steps: 15, objective: objective)
        var calls = [Call](), pending = [Proposal](), failed = Set<Architecture>()
        for event in run.events {
            switch event {
            case .proposed(let p):
                calls.append(Call(proposals: p, pending: pending, failedBefore: failed))
                pending += p
            case .observed(let o):
                if let i = pending.firstIndex(where: { $0.architecture == o.architecture }) { pending.remove(at: i) }
                if o.value == nil { failed.insert(o.architecture) }
            }
        }
        checkRepeats(name, calls)
        if Self.runsPerCell(name) == 1 { #expect(Set(run.proposals.map(\.architecture)).count == run.proposals.count) }
        #expect(run.proposals.count == 45)
        for p in run.proposals {
            #expect(space.encode(p.architecture) == p.encoding)
            try space.validate(p.architecture)
        }
    }

    @Test(arguments: StrategyFactory.names)
    func exhaustsATinyRestrictedSpaceWithoutRepeats(name: String) throws {
        // 3 ops on 3 slots, slot 0 only 'a' or 'b', slot 2 never 'c': 2 · 3 · 2 = 12 cells.
        let tiny = try SlotSearchSpace(name: "tiny", operations: ["a", "b", "c"], slots: 3, allowed: [0: ["a", "b"]],
                                       forbidden: [2: ["c"]])
        let objective = SyntheticObjective(space: tiny)
        var strategy = try StrategyFactory.make(name, space: tiny, seed: 1)
        var seen = Set<Architecture>()
        var calls = [Call]()
        for _ in 0..<(6 * Self.runsPerCell(name) + 6) {
            let proposals = strategy.propose(count: 2, pending: [])
            calls.append(Call(proposals: proposals))
            for p in proposals {
                try tiny.validate(p.architecture)
                if Self.runsPerCell(name) == 1 { #expect(!seen.contains(p.architecture)) }
                seen.insert(p.architecture)
                strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        checkRepeats(name, calls)
        #expect(seen.count == 12)
        #expect(strategy.propose(count: 2, pending: []).isEmpty)
    }

    @Test func encodingGroupsSayWhenNoEncodingHoldsAGroup() throws {
        // At most 3 cells share an encoding of this space: groups of 4 cannot be drawn, and saying so (no
        // proposals) must not take for ever.
        let tiny = try SlotSearchSpace(name: "tiny", operations: ["a", "b", "c"], slots: 3, allowed: [0: ["a", "b"]],
                                       forbidden: [2: ["c"]])
        #expect(tiny.allEncodingCounts().map { tiny.architectureCount(counts: $0) }.max() == 3)
        var strategy: any SearchStrategy = EncodingGroups(space: tiny, seed: 1, groupSize: 4)
        #expect(strategy.propose(count: 2, pending: []).isEmpty)
    }

    /// Search strategies only: `encoding-groups` reaches only cells of encodings with 3 cells or more.
    @Test(arguments: StrategyFactory.names)
    func exhaustsATinySpaceWithoutRepeats(name: String) throws {
        let tiny = try SlotSearchSpace(name: "tiny", operations: ["a", "b"], slots: 3)  // 8 cells
        let objective = SyntheticObjective(space: tiny)
        var strategy = try StrategyFactory.make(name, space: tiny, seed: 1)
        var seen = Set<Architecture>()
        var calls = [Call]()
        // 8 cells, and with retrains up to `runsPerCell` runs of each: the strategy runs out within that.
        for _ in 0..<(4 * Self.runsPerCell(name) + 4) {
            let proposals = strategy.propose(count: 2, pending: [])
            calls.append(Call(proposals: proposals))
            for p in proposals {
                if Self.runsPerCell(name) == 1 { #expect(!seen.contains(p.architecture)) }
                seen.insert(p.architecture)
                strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        checkRepeats(name, calls)
        #expect(seen.count == 8)
        #expect(strategy.propose(count: 2, pending: []).isEmpty)
    }

    @Test(arguments: ["anasod-bo", "anasod-bo-2s", "onehot-bo"], spaces)
    func failuresDoNotPoisonTheModel(name: String, spaceName: String) throws {
        let space = try Self.space(spaceName)
        let objective = SyntheticObjective(space: space)
        var strategy = try StrategyFactory.make(name, space: space, seed: 2)
        var calls = [Call](), failed = Set<Architecture>()
        for step in 0..<10 {
            let proposals = strategy.propose(count: 2, pending: [])
            calls.append(Call(proposals: proposals, failedBefore: failed))
            for p in proposals {
                // Every third evaluation crashes; NaN from a broken trainer is a failure too.
                let value: Double? = step % 3 == 0 ? nil : (step == 5 ? .nan : objective(p.architecture))
                if !(value?.isFinite ?? false) { failed.insert(p.architecture) }
                strategy.observe(Observation(architecture: p.architecture, value: value))
            }
        }
        checkRepeats(name, calls)
        #expect(strategy.propose(count: 3, pending: []).count == 3)
    }
}
