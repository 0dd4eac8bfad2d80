import ANASOD

/// Regularised ("aging") evolution (Real et al., AAAI 2019), the classic NAS baseline: the population is
/// the last `population` successful evaluations; each child is a one-edge mutation of the best of
/// `tournament` members drawn uniformly (without replacement); the oldest member dies as a child joins.
/// Until the population is full, random cells are evaluated.
public struct RegularizedEvolution: HistoryStrategy {
    public struct Configuration: Sendable, Hashable {
        public var population: Int = 30
        public var tournament: Int = 10

        public init(population: Int = 30, tournament: Int = 10) {
            self.population = max(2, population)
            self.tournament = min(max(1, tournament), self.population)
        }
    }

    public var name: String { "re" }
    public let configuration: Configuration
    public var history: StrategyHistory

    public init(space: any SearchSpace, seed: UInt64, configuration: Configuration = .init()) {
        history = StrategyHistory(space: space, seed: seed)
        self.configuration = configuration
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        var chosen = Set<Architecture>()
        var out = [Proposal]()
        let population = Array(history.successes.suffix(configuration.population))
        while out.count < count {
            var child: Architecture?
            if population.count >= configuration.population {
                for _ in 0..<10 where child == nil {
                    var members = Array(population.indices)
                    var sample = [Int]()
                    for i in 0..<configuration.tournament {
                        let j = i + rng.nextInt(below: members.count - i)
                        members.swapAt(i, j)
                        sample.append(members[i])
                    }
                    let parent = sample.min { population[$0].value < population[$1].value }!
                    child = CellSampler.mutate(population[parent].architecture, history: history, exclude: chosen, using: &rng)
                }
            }
            guard let arch = child ?? CellSampler.randomUnseen(history: history, exclude: chosen, using: &rng) else { break }
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        return out
    }
}
