import ANASOD
import Search
import Testing

/// The cell-level one-hot features (one-hot BO, ANASOD-BO's within-encoding stage): one op and, where
/// connectivity is searched, one source node per slot, each in a position of its own.
@Suite struct CellFeaturesTests {
    @Test func everySlotSetsItsOpAndItsOwnSourceNode() throws {
        let spaces: [any SearchSpace] = [
            DARTSSearchSpace(),
            try SlotSearchSpace(name: "wide", operations: ["a", "b", "c"], cellTypes: ["x", "y"],
                                wiring: .darts(nodes: 3, inputs: 3, edgesPerNode: 1)),
            try SlotSearchSpace(name: "chain", operations: ["a", "b"], slots: 4),
        ]
        var rng = SeededGenerator(seed: 4)
        for space in spaces {
            let features = CellFeatures(space: space)
            let width = space.operationCount + space.sourceNodeCount
            #expect(features.dimension == space.cellTypes.count * space.slotsPerCell * width)
            for _ in 0..<50 {
                let arch = space.randomArchitecture(using: &rng)
                let v = features.vector(arch)
                #expect(v.reduce(0, +) == Double(space.cellTypes.count * space.slotsPerCell * (space.searchesConnectivity ? 2 : 1)))
                for (t, cell) in arch.cells.enumerated() {
                    for (slot, op) in cell.operations.enumerated() {
                        let base = (t * space.slotsPerCell + slot) * width
                        #expect(v[base + op] == 1)
                        if space.searchesConnectivity { #expect(v[base + space.operationCount + cell.inputs[slot]] == 1) }
                    }
                }
            }
        }
        // Three inputs and three nodes: a slot reads one of nodes 0 … 4.
        #expect(try SlotSearchSpace(name: "w", operations: ["a"], wiring: .darts(nodes: 3, inputs: 3, edgesPerNode: 1)).sourceNodeCount == 5)
        // DARTS: node 3 (the last) reads one of nodes 0 … 4.
        #expect(DARTSSearchSpace().sourceNodeCount == 5 && NB201SearchSpace().sourceNodeCount == 0)
    }
}
