import ANASOD

/// Draws unproposed architectures from the encoding-generating distribution Dir(α) (one Dirichlet per
/// cell type), rounding each draw to the grid and decoding it with the rounding decoder
/// (arXiv 2111.04670, §3.2 and §4). Shared by ANASOD-RS, biased RS and ANASOD-BO's initial design.
enum DirichletSampling {
    /// Up to `count` proposals; a draw whose encoding is exhausted is redrawn (up to 100 times per proposal).
    static func propose(count: Int, alpha: [[Double]], history: StrategyHistory,
                        using rng: inout SeededGenerator) -> [Proposal] {
        var chosen = Set<Architecture>()
        var out = [Proposal]()
        var failures = 0
        while out.count < count && failures < 100 * max(1, count) {
            let counts = drawCounts(alpha: alpha, space: history.space, using: &rng)
            if let arch = CellSampler.unseen(counts: counts, history: history, exclude: chosen, using: &rng) {
                chosen.insert(arch)
                out.append(history.proposal(arch))
            } else {
                failures += 1
            }
        }
        // A nearly exhausted space: fill up with any unproposed cells.
        while out.count < count, let arch = CellSampler.randomUnseen(history: history, exclude: chosen, using: &rng) {
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        return out
    }

    /// One grid point: a Dirichlet draw per cell type, rounded (largest remainder) to counts summing to N, and
    /// where slots are restricted moved to the nearest grid point that has cells.
    static func drawCounts(alpha: [[Double]], space: any SearchSpace, using rng: inout SeededGenerator) -> [[Int]] {
        let slots = space.slotsPerCell
        return alpha.enumerated().map { t, a in
            let target = rng.nextDirichlet(a).map { $0 * Double(slots) }
            let rounded = largestRemainderRounding(target, total: slots)
            return space.restrictsSlots ? space.feasibleCounts(rounded: rounded, target: target, cellType: t) : rounded
        }
    }

    /// Dir(1, …, 1) for every cell type: uniform on each simplex.
    static func uniform(_ space: any SearchSpace) -> [[Double]] {
        space.cellTypes.map { _ in Array(repeating: 1.0, count: space.operationCount) }
    }

    /// α = k·β·p* + 1 around the encoding p* (one part per cell type).
    static func concentrated(around encoding: ArchitectureEncoding, beta: Double) -> [[Double]] {
        encoding.parts.map { part in part.probabilities.map { Double(part.count) * beta * $0 + 1 } }
    }
}
