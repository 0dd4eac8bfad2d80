import ANASOD

/// Random search over cells: every slot's op uniform, so every cell equally likely (Li & Talwalkar 2019).
public struct RandomSearch: SearchStrategy {
    public var name: String { "rs" }
    public private(set) var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64) {
        history = StrategyHistory(space: space, seed: seed)
    }

    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        history.record(pending)
        var rng = history.beginCall()
        var chosen = Set<Architecture>()
        var out = [Proposal]()
        while out.count < count, let arch = CellSampler.randomUnseen(history: history, exclude: chosen, using: &rng) {
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        history.record(out)
        return out
    }

    public mutating func restore(proposed proposals: [Proposal]) {
        _ = history.beginCall()
        history.record(proposals)
    }

    public mutating func observe(_ observation: Observation) {
        history.record(observation)
    }
}
