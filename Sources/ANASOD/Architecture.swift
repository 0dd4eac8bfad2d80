/// One cell: the operation on each of its N slots (edges), and the node each slot reads from.
///
/// `operations[j]` indexes the search space's operation list. `inputs[j]` is the source node of slot j
/// in spaces with connectivity (NB201: fixed by position; DARTS: drawn); it is empty in spaces that are
/// a plain list of slots.
public struct Cell: Hashable, Sendable, Codable {
    public var operations: [Int]
    public var inputs: [Int]

    public init(operations: [Int], inputs: [Int] = []) {
        self.operations = operations
        self.inputs = inputs
    }

    /// How many times each of `k` operations appears: the unnormalised encoding n.
    public func operationCounts(_ k: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: k)
        for op in operations { counts[op] += 1 }
        return counts
    }
}

/// A concrete architecture: one `Cell` per cell type of its search space (NB201: one; DARTS: normal and
/// reduction).
public struct Architecture: Hashable, Sendable, Codable {
    public var cells: [Cell]

    public init(cells: [Cell]) {
        self.cells = cells
    }
}
