import ANASOD
import Search
import Testing

/// One shared suite over every `SearchStrategy`.
@Suite struct StrategyConformanceTests {
    static let names = StrategyFactory.names + StrategyFactory.measurements
    let space = NB201SearchSpace()

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

    @Test(arguments: names)
    func sameSeedSameProposals(name: String) throws {
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

    @Test(arguments: names)
    func replayRebuildsTheSameState(name: String) throws {
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

    @Test(arguments: names)
    func proposalsAreDistinctAndNeverRepeated(name: String) throws {
        let objective = SyntheticObjective(space: space)
        var strategy = try StrategyFactory.make(name, space: space, seed: 3)
        let run = drive(&strategy, steps: 15, objective: objective)
        #expect(Set(run.proposals.map(\.architecture)).count == run.proposals.count)
        #expect(run.proposals.count == 45)
        for p in run.proposals {
            #expect(space.encode(p.architecture) == p.encoding)
            try space.validate(p.architecture)
        }
    }

    /// Search strategies only: `encoding-groups` reaches only cells of encodings with 3 cells or more.
    @Test(arguments: StrategyFactory.names)
    func exhaustsATinySpaceWithoutRepeats(name: String) throws {
        let tiny = try SlotSearchSpace(name: "tiny", operations: ["a", "b"], slots: 3)  // 8 cells
        let objective = SyntheticObjective(space: tiny)
        var strategy = try StrategyFactory.make(name, space: tiny, seed: 1)
        var seen = Set<Architecture>()
        for _ in 0..<12 {
            let proposals = strategy.propose(count: 2, pending: [])
            for p in proposals {
                #expect(seen.insert(p.architecture).inserted)
                strategy.observe(Observation(architecture: p.architecture, value: objective(p.architecture)))
            }
        }
        #expect(seen.count == 8)
        #expect(strategy.propose(count: 2, pending: []).isEmpty)
    }

    @Test(arguments: ["anasod-bo", "anasod-bo-2s", "onehot-bo"])
    func failuresDoNotPoisonTheModel(name: String) throws {
        let objective = SyntheticObjective(space: space)
        var strategy = try StrategyFactory.make(name, space: space, seed: 2)
        var proposed = Set<Architecture>()
        for step in 0..<10 {
            for p in strategy.propose(count: 2, pending: []) {
                #expect(proposed.insert(p.architecture).inserted)
                // Every third evaluation crashes; NaN from a broken trainer is a failure too.
                let value: Double? = step % 3 == 0 ? nil : (step == 5 ? .nan : objective(p.architecture))
                strategy.observe(Observation(architecture: p.architecture, value: value))
            }
        }
        #expect(strategy.propose(count: 3, pending: []).count == 3)
    }
}
