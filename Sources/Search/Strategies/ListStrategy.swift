import ANASOD

/// Evaluates a given list of architectures, in order (a study's `strategy: list` with its `architectures`):
/// the cells a one-shot search found, trained as jobs on the cluster, or any cells a user names.
public struct ListStrategy: HistoryStrategy {
    public var name: String { "list" }
    public var history: StrategyHistory
    public let architectures: [Architecture]

    public init(space: any SearchSpace, seed: UInt64, architectures: [Architecture]) {
        history = StrategyHistory(space: space, seed: seed)
        self.architectures = architectures
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        var out = [Proposal]()
        for architecture in architectures where out.count < count && history.isAvailable(architecture)
            && !out.contains(where: { $0.architecture == architecture }) {
            out.append(history.proposal(architecture))
        }
        return out
    }
}
