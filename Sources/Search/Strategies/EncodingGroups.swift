import ANASOD

/// A measurement, not a search: random encodings (uniform over the grid of op counts, each cell type on
/// its own), each decoded into `groupSize` distinct cells (ops arranged and, where the space has it,
/// wired at random). How much of a cell's error its encoding explains (the paper's Table 1) is then the
/// spread within groups against the spread over all (`anasod analyze --journal`).
///
/// Group g is a function of the seed and g alone, never of the results or of how the coordinator batches
/// its calls: studies of one seed propose the same cells in the same order, so studies that differ only in
/// `jobs.training_seed` measure the spread over training seeds of the same cells.
public struct EncodingGroups: HistoryStrategy {
    public var name: String { "encoding-groups" }
    public var history: StrategyHistory
    public let groupSize: Int

    public init(space: any SearchSpace, seed: UInt64, groupSize: Int = 3) {
        precondition(groupSize >= 1, "a group holds at least one cell")
        history = StrategyHistory(space: space, seed: seed)
        self.groupSize = groupSize
    }

    public func makeProposals(count: Int, using rng: inout SeededGenerator) -> [Proposal] {
        var out = [Proposal]()
        var index = history.proposed.count
        var taken = Set<Architecture>()
        var skipped = 0
        // Past this many skips in a row the groups left hold only cells proposed already: a nearly
        // exhausted (tiny) space. Fewer proposals, or none, say so.
        while out.count < count && skipped < 20 * groupSize {
            guard let group = Self.group(index / groupSize, space: history.space, seed: history.seed, size: groupSize,
                                         feasibility: history.feasibility),
                  let architecture = group.cells.dropFirst(index % groupSize).first else { break }
            index += 1
            // Another strategy's proposal (pending) or a cell of an earlier group: skipped, not redrawn,
            // so that later groups stay where they are.
            if !history.isAvailable(architecture) || !taken.insert(architecture).inserted {
                skipped += 1
                continue
            }
            skipped = 0
            out.append(history.proposal(architecture))
        }
        return out
    }

    /// Group g: an encoding with at least `size` cells, and `size` distinct (feasible) cells of it; nil when 10,000
    /// draws found none (a space whose encodings hold fewer cells, such as a small one with restricted slots).
    /// Under constraints the group is drawn among feasible encodings and cells: still a function of the seed, g
    /// and the study's constraints alone.
    static func group(_ g: Int, space: any SearchSpace, seed: UInt64, size: Int,
                      feasibility: Feasibility = .unconstrained) -> (counts: [[Int]], cells: [Architecture])? {
        var rng = SeededGenerator(seed: seed, stream: UInt64(g) &+ 0x6E0C)
        for _ in 0..<10_000 {
            let counts = space.cellTypes.map { _ in uniformComposition(total: space.slotsPerCell, parts: space.operationCount, using: &rng) }
            guard space.architectureCount(counts: counts) >= Double(size) else { continue }
            guard !feasibility.isConstrained || feasibility.mayHold(counts: counts) else { continue }
            var cells = [Architecture]()
            var seen = Set<Architecture>()
            var tries = 0
            while cells.count < size && tries < 100 * size {
                tries += 1
                let cell = space.decode(counts: counts, using: &rng)
                if seen.insert(cell).inserted && (!feasibility.isConstrained || feasibility.allows(cell)) { cells.append(cell) }
            }
            if cells.count == size { return (counts, cells) }
        }
        return nil
    }

    /// A uniform draw of `parts` non-negative counts summing to `total` (stars and bars: `parts − 1` bars
    /// among `total + parts − 1` places).
    static func uniformComposition(total: Int, parts: Int, using rng: inout SeededGenerator) -> [Int] {
        var places = Array(0..<(total + parts - 1))
        rng.shuffle(&places)
        let bars = places.prefix(parts - 1).sorted()
        var counts = [Int]()
        var previous = -1
        for bar in bars {
            counts.append(bar - previous - 1)
            previous = bar
        }
        counts.append(total + parts - 1 - previous - 1)
        return counts
    }
}
