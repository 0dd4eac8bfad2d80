/// A measure of a cell that its space computes before training (issue 30; a study file's `space.measures`): a
/// fixed `base` (the network around the cells) plus, for every slot of every cell, the value of the operation it
/// holds. Additive, as parameter counts, FLOPs and per-operation latency look-up tables (FBNet's) are; so it
/// depends on the operation counts alone, and every cell of an encoding has the same value: a limit on it rules
/// whole encodings in or out.
public struct SpaceMeasure: Hashable, Sendable {
    public var base: Double
    /// Per operation (the space's order), its value in one slot.
    public var perOperation: [Double]

    public init(base: Double, perOperation: [Double]) {
        self.base = base
        self.perOperation = perOperation
    }

    /// The value of any cell with count vectors `counts` (one per cell type).
    public func value(counts: [[Int]]) -> Double {
        counts.reduce(base) { total, n in zip(n, perOperation).reduce(total) { $0 + Double($1.0) * $1.1 } }
    }

    /// The value of `architecture`: that of its counts, summed in the same order (so a cell's value is its encoding's
    /// to the last bit, and a limit never rules out an encoding whose cells it allows).
    public func value(of architecture: Architecture) -> Double {
        value(counts: architecture.cells.map { cell in
            var n = [Int](repeating: 0, count: perOperation.count)
            for op in cell.operations { n[op] += 1 }
            return n
        })
    }
}
