import ANASOD

/// Local search, the purely exploitative end (arXiv 2111.04670, §4; White et al. 2020 for cells).
///
/// - `.encoding` (ANASOD-LS): neighbours of an encoding move one count from one op to another; each
///   neighbour is tried by evaluating one cell decoded from it.
/// - `.cell`: neighbours change the op of one edge.
///
/// The search keeps a current point (the best of its current climb). Proposals are untried neighbours of
/// the current point, in random order; when it has none left (a local optimum), the next proposals are
/// random restarts (Dir(1) encodings / random cells) and the first restart observed becomes the new
/// current point. An observation better than the current point becomes the current point.
public struct LocalSearch: HistoryStrategy {
    public enum Neighbourhood: String, Sendable, Hashable {
        case encoding, cell
    }

    public let neighbourhood: Neighbourhood
    public var name: String { neighbourhood == .encoding ? "ls" : "ls-cell" }
    public var history: StrategyHistory
    /// The current point of the climb.
    public private(set) var current: (architecture: Architecture, value: Double)?

    public init(space: any SearchSpace, seed: UInt64, neighbourhood: Neighbourhood = .encoding) {
        history = StrategyHistory(space: space, seed: seed)
        self.neighbourhood = neighbourhood
    }

    /// The untried neighbours of `architecture`: encodings (as count vectors) or cells.
    func untriedNeighbourCounts(of architecture: Architecture) -> [[[Int]]] {
        let counts = history.space.counts(of: architecture)
        var result = [[[Int]]]()
        for t in counts.indices {
            for from in counts[t].indices where counts[t][from] > 0 {
                for to in counts[t].indices where to != from {
                    var next = counts
                    next[t][from] -= 1
                    next[t][to] += 1
                    // Untried, and with cells (restricted slots and constraints leave some grid points without any).
                    let open = !(history.space.restrictsSlots || history.feasibility.isConstrained) || history.remaining(counts: next) > 0
                    if history.proposedPerEncoding[next] == nil && open {
                        result.append(next)
                    }
                }
            }
        }
        return result
    }

    func untriedNeighbourCells(of architecture: Architecture) -> [Architecture] {
        CellSampler.neighbours(of: architecture, space: history.space).filter { history.isAvailable($0) }
    }

    func isLocalOptimum(_ architecture: Architecture) -> Bool {
        switch neighbourhood {
        case .encoding: untriedNeighbourCounts(of: architecture).isEmpty
        case .cell: untriedNeighbourCells(of: architecture).isEmpty
        }
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        var out = [Proposal]()
        var chosen = Set<Architecture>()
        if let current {
            switch neighbourhood {
            case .encoding:
                var options = untriedNeighbourCounts(of: current.architecture)
                rng.shuffle(&options)
                for counts in options where out.count < count {
                    if let arch = CellSampler.unseen(counts: counts, history: history, exclude: chosen, using: &rng) {
                        chosen.insert(arch)
                        out.append(history.proposal(arch))
                    }
                }
            case .cell:
                var options = untriedNeighbourCells(of: current.architecture)
                rng.shuffle(&options)
                for arch in options.prefix(count) {
                    chosen.insert(arch)
                    out.append(history.proposal(arch))
                }
            }
        }
        if out.count < count {  // start, or restart from a local optimum
            var restartHistory = history
            restartHistory.record(out)
            switch neighbourhood {
            case .encoding:
                out += DirichletSampling.propose(count: count - out.count, alpha: DirichletSampling.uniform(history.space),
                                                 history: restartHistory, using: &rng)
            case .cell:
                while out.count < count,
                      let arch = CellSampler.randomUnseen(history: restartHistory, exclude: chosen, using: &rng) {
                    chosen.insert(arch)
                    out.append(history.proposal(arch))
                }
            }
        }
        return out
    }

    public mutating func observe(_ observation: Observation) {
        history.record(observation)
        // A cell early stopping stopped is no place to climb from: its error is an early epoch's.
        guard let value = observation.value, value.isFinite, observation.stoppedAtEpoch == nil else { return }
        guard let current else {
            self.current = (observation.architecture, value)
            return
        }
        if value < current.value {
            self.current = (observation.architecture, value)
        } else if isLocalOptimum(current.architecture) && !isNeighbour(observation.architecture, of: current.architecture) {
            // The climb is stuck and this is a random restart: climb from here.
            self.current = (observation.architecture, value)
        }
    }

    /// Whether `a` is in the neighbourhood of `b`.
    func isNeighbour(_ a: Architecture, of b: Architecture) -> Bool {
        switch neighbourhood {
        case .encoding:
            let ca = history.space.counts(of: a), cb = history.space.counts(of: b)
            let moved = zip(ca, cb).reduce(0) { total, pair in total + zip(pair.0, pair.1).reduce(0) { $0 + abs($1.0 - $1.1) } }
            return moved == 2
        case .cell:
            let changed = zip(a.cells, b.cells).reduce(0) { total, pair in
                total + zip(pair.0.operations, pair.1.operations).filter { $0 != $1 }.count
            }
            return changed == 1 && zip(a.cells, b.cells).allSatisfy { $0.inputs == $1.inputs }
        }
    }
}
