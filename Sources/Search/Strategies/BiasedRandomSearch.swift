import ANASOD

/// ANASOD biased random search (arXiv 2111.04670, §4): p~_{t+1} ~ Dir(α), α_i = k·β_t·p~*_i + 1, with p~*
/// the encoding of the best cell so far and β_t annealed linearly from 0 to β_T over the first
/// `annealEvaluations` successful evaluations, then held: exploration first, then concentration around
/// the incumbent. Costs nothing beyond a Dirichlet draw.
public struct BiasedRandomSearch: HistoryStrategy {
    public struct Configuration: Sendable, Hashable {
        /// β_T, the final temperature.
        public var finalBeta: Double = 8
        /// Evaluations over which β rises from 0 to β_T.
        public var annealEvaluations: Int = 100

        public init(finalBeta: Double = 8, annealEvaluations: Int = 100) {
            self.finalBeta = finalBeta
            self.annealEvaluations = annealEvaluations
        }
    }

    public var name: String { "biased-rs" }
    public let configuration: Configuration
    public var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64, configuration: Configuration = .init()) {
        history = StrategyHistory(space: space, seed: seed)
        self.configuration = configuration
    }

    /// β_t after `evaluations` successful evaluations.
    public func beta(after evaluations: Int) -> Double {
        let t = Double(evaluations) / Double(max(1, configuration.annealEvaluations))
        return configuration.finalBeta * min(1, t)
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        let alpha: [[Double]]
        if let best = history.best {
            alpha = DirichletSampling.concentrated(around: history.space.encode(best.architecture),
                                                   beta: beta(after: history.successes.count))
        } else {
            alpha = DirichletSampling.uniform(history.space)
        }
        return DirichletSampling.propose(count: count, alpha: alpha, history: history, using: &rng)
    }
}
