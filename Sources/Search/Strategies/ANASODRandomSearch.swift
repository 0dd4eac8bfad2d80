import ANASOD

/// ANASOD-RS: p~ ~ Dir(1, …, 1), decoded by the rounding decoder (arXiv 2111.04670, §4). Uniform over
/// encodings, not over cells; the paper finds it matches plain random search.
public struct ANASODRandomSearch: HistoryStrategy {
    public var name: String { "anasod-rs" }
    public var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64) {
        history = StrategyHistory(space: space, seed: seed)
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        DirichletSampling.propose(count: count, alpha: DirichletSampling.uniform(history.space), history: history, using: &rng)
    }
}
