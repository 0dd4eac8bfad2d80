import ANASOD

/// Random search over cells: every slot's op uniform, so every cell equally likely (Li & Talwalkar 2019).
public struct RandomSearch: HistoryStrategy {
    public var name: String { "rs" }
    public var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64) {
        history = StrategyHistory(space: space, seed: seed)
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        var chosen = Set<Architecture>()
        var out = [Proposal]()
        while out.count < count, let arch = CellSampler.randomUnseen(history: history, exclude: chosen, using: &rng) {
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        return out
    }
}
