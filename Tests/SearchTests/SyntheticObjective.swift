import ANASOD
import Search

/// A cheap deterministic objective on any space: a per-(slot, op) weight table plus an interaction
/// between the op counts, so that both the encoding and the placement matter.
struct SyntheticObjective: Sendable {
    let weights: [[Double]]
    let space: any SearchSpace

    init(space: any SearchSpace, seed: UInt64 = 77) {
        self.space = space
        var rng = SeededGenerator(seed: seed)
        weights = (0..<(space.slotsPerCell * space.cellTypes.count)).map { _ in
            (0..<space.operationCount).map { _ in rng.nextUniform() }
        }
    }

    func callAsFunction(_ architecture: Architecture) -> Double {
        var value = 0.0
        var slot = 0
        for cell in architecture.cells {
            for op in cell.operations {
                value += weights[slot][op]
                slot += 1
            }
        }
        let counts = space.counts(of: architecture).flatMap { $0 }
        let centre = Double(space.slotsPerCell) / Double(space.operationCount)
        value += 0.3 * counts.reduce(0) { $0 + (Double($1) - centre) * (Double($1) - centre) }
        return value
    }
}
