import ANASOD

/// The one-hot ("adjacency") features of a cell: per cell type and slot, a one-hot of its op (N·k values)
/// and, in spaces that search connectivity, a one-hot of its input node. The cell-level encoding of the
/// one-hot BO baseline and of ANASOD-BO's within-encoding stage.
public struct CellFeatures: Sendable {
    public let space: any SearchSpace
    /// Input nodes a slot may read (DARTS: 0 … 5); 0 when connectivity is fixed.
    let inputNodes: Int

    public init(space: any SearchSpace) {
        self.space = space
        inputNodes = space.sourceNodeCount
    }

    public var dimension: Int { space.cellTypes.count * space.slotsPerCell * (space.operationCount + inputNodes) }

    public func vector(_ architecture: Architecture) -> [Double] {
        var v = [Double](repeating: 0, count: dimension)
        let k = space.operationCount
        let width = k + inputNodes
        for (t, cell) in architecture.cells.enumerated() {
            for (slot, op) in cell.operations.enumerated() {
                let base = (t * space.slotsPerCell + slot) * width
                v[base + op] = 1
                if inputNodes > 0, slot < cell.inputs.count { v[base + k + min(cell.inputs[slot], inputNodes - 1)] = 1 }
            }
        }
        return v
    }
}
