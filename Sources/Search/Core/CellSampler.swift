import ANASOD

/// Draws architectures that have not been proposed yet: the rounding decoder "preferring cells not yet
/// evaluated", uniform random cells and one-edge mutations.
public enum CellSampler {
    /// A uniformly random unproposed architecture with op counts `counts`: up to 16 random decodes, then
    /// (for spaces with fixed connectivity and at most 50,000 such cells) a uniform pick among the
    /// unproposed ones. Nil when the encoding is exhausted.
    public static func unseen(counts: [[Int]], history: StrategyHistory, exclude: Set<Architecture> = [],
                              using rng: inout some RandomNumberGenerator) -> Architecture? {
        // A grid point without cells (restricted slots) or with none left.
        if (history.space.restrictsSlots || history.feasibility.isConstrained) && history.remaining(counts: counts) <= 0 { return nil }
        if history.space.restrictsSlots && history.remaining(counts: counts) <= Double(exclude.count) { return nil }
        if history.space.searchesConnectivity || history.remaining(counts: counts) > Double(exclude.count) {
            for _ in 0..<16 {
                let arch = history.space.decode(counts: counts, using: &rng)
                if history.isAvailable(arch) && !exclude.contains(arch) { return arch }
            }
        }
        guard let all = history.space.allArchitectures(counts: counts) else { return nil }
        let open = all.filter { history.isAvailable($0) && !exclude.contains($0) }
        return open.isEmpty ? nil : open[rng.nextInt(below: open.count)]
    }

    /// A uniformly random unproposed (feasible) architecture of the whole space (up to 1,000 tries, 20,000
    /// under constraints, which may rule out most cells).
    public static func randomUnseen(history: StrategyHistory, exclude: Set<Architecture> = [],
                                    using rng: inout some RandomNumberGenerator) -> Architecture? {
        for _ in 0..<(history.feasibility.isConstrained ? 20_000 : 1000) {
            let arch = history.space.randomArchitecture(using: &rng)
            if history.isAvailable(arch) && !exclude.contains(arch) { return arch }
        }
        return nil
    }

    /// Every architecture one edge away from `architecture` (one slot's op changed), in slot/op order.
    public static func neighbours(of architecture: Architecture, space: any SearchSpace) -> [Architecture] {
        var result = [Architecture]()
        for t in architecture.cells.indices {
            for slot in architecture.cells[t].operations.indices {
                for op in 0..<space.operationCount where op != architecture.cells[t].operations[slot] && space.allows(cellType: t, slot: slot, operation: op) {
                    var next = architecture
                    next.cells[t].operations[slot] = op
                    result.append(next)
                }
            }
        }
        return result
    }

    /// Every architecture with the same op counts that differs by swapping the ops of two slots of one cell.
    public static func swaps(of architecture: Architecture) -> [Architecture] {
        var result = [Architecture]()
        for t in architecture.cells.indices {
            let ops = architecture.cells[t].operations
            for a in ops.indices {
                for b in (a + 1)..<max(a + 1, ops.count) where ops[a] != ops[b] {
                    var next = architecture
                    next.cells[t].operations.swapAt(a, b)
                    result.append(next)
                }
            }
        }
        return result
    }

    /// One random unproposed one-edge mutation of `architecture` (regularised evolution's mutation).
    public static func mutate(_ architecture: Architecture, history: StrategyHistory, exclude: Set<Architecture>,
                              using rng: inout some RandomNumberGenerator) -> Architecture? {
        let options = neighbours(of: architecture, space: history.space)
            .filter { history.isAvailable($0) && !exclude.contains($0) }
        return options.isEmpty ? nil : options[rng.nextInt(below: options.count)]
    }
}
