import ANASOD

/// ANASOD-RS: p~ ~ Dir(1, …, 1), decoded by the rounding decoder (arXiv 2111.04670, §4). Uniform over
/// encodings, not over cells; the paper finds it matches plain random search.
public struct ANASODRandomSearch: SearchStrategy {
    public var name: String { "anasod-rs" }
    public private(set) var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64) {
        history = StrategyHistory(space: space, seed: seed)
    }

    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        history.record(pending)
        var rng = history.beginCall()
        let out = DirichletSampling.propose(count: count, alpha: DirichletSampling.uniform(history.space),
                                            history: history, using: &rng)
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
