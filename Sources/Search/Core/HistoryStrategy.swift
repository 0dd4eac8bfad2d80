import ANASOD

/// A strategy whose whole state is its `StrategyHistory`: the propose-call bookkeeping (record the
/// pending points, draw this call's generator, record what it returns), replay and observation are
/// written once here; a conforming strategy only says how it picks proposals.
public protocol HistoryStrategy: SearchStrategy {
    var history: StrategyHistory { get set }
    /// The proposals of one call; the pending points are already in `history`.
    func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal]
}

extension HistoryStrategy {
    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        history.record(pending)
        var rng = history.beginCall()
        let out = makeProposals(count: count, using: &rng)
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

    public mutating func recommendation() -> Recommendation? { history.bestSeenRecommendation }

    public mutating func constrain(to feasibility: Feasibility) { history.feasibility = feasibility }
}
