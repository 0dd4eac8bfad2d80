import ANASOD
import Foundation
import Synchronization
import Search
import Trainer

/// The parameters and FLOPs of the DARTS network the Swift trainer builds around a genotype (issue 30), without
/// building it per cell. Every cell of a type holds the type's genotype, so a network's measure is a fixed part
/// (stem, preprocessing, head) plus, per cell type and edge, the cost of the edge's operation summed over the
/// cells of that type. An edge's cost depends on its operation and on whether it reads an input node: in a
/// reduction cell an edge from an input has stride 2 (its `skip_connect` is a factorised reduce, with weights;
/// from an intermediate node it is the identity). The costs are measured once per network shape by building
/// networks that differ from a reference in one edge; `DARTSMeasuresTests` checks the sum against built networks.
///
/// An encoding fixes each type's operation counts, not which operations sit on input edges: its range is the
/// least and greatest sum over the number of input edges the wiring allows (3 to 8 in DARTS) and the choice of
/// operations on them.
struct DARTSMeasures: Sendable {
    /// Per measure (params, flops): the reference network's value, and per cell type and operation the change
    /// its edge makes from an intermediate node (`middle`) and from an input node (`input`).
    struct Table: Sendable {
        var base: Double
        var middle: [[Double]]
        var input: [[Double]]
    }

    let params: Table
    let flops: Table
    /// The fewest and most edges a cell may take from its input nodes.
    let inputEdges: ClosedRange<Int>
    let inputs: Int

    /// Builds the reference network and one per (cell type, operation, input or intermediate edge): 25 networks.
    init(channels: Int, layers: Int, inputChannels: Int, classes: Int, side: Int) {
        let space = DARTSSearchSpace.definition
        guard case .darts(let nodes, let inputs, let perNode) = space.wiring else {
            preconditionFailure("the DARTS space has DARTS-like wiring")
        }
        self.inputs = inputs
        // Node i reads perNode of its inputs + i sources: at least perNode − i of them are input nodes.
        let least = (0..<nodes).reduce(0) { $0 + max(0, perNode - $1) }
        inputEdges = least...(nodes * min(perNode, inputs))
        let k = space.operations.count, reference = space.operations.firstIndex(of: "max_pool_3x3")!
        // The reference: every edge max_pool_3x3, node 2 reading the two inputs, node 3 reading (0, 2) and the
        // others (0, 1). Slot 0 reads an input, slot 3 (node 3's second edge) the intermediate node 2.
        let referenceInputs = (0..<nodes).flatMap { i in i == 1 ? [0, 2] : [0, 1] }
        func genotype(_ changes: [(type: Int, slot: Int, op: Int)]) -> Architecture {
            var cells = (0..<2).map { _ in Cell(operations: Array(repeating: reference, count: nodes * perNode),
                                                            inputs: referenceInputs) }
            for c in changes { cells[c.type].operations[c.slot] = c.op }
            return Architecture(cells: cells)
        }
        func measure(_ g: Architecture) -> (params: Double, flops: Double) {
            var rng = SplitMix(state: 0)
            let network = DARTSNetwork(genotype: g, channels: channels, layers: layers, inputChannels: inputChannels,
                                       classes: classes, rng: &rng)
            return (Double(network.evaluationParameterCount), Double(2 * network.multiplyAccumulates(h: side, w: side)))
        }
        let base = measure(genotype([]))
        var params = Table(base: base.params, middle: [], input: []), flops = Table(base: base.flops, middle: [], input: [])
        for t in 0..<2 {
            var pm = [Double](repeating: 0, count: k), pi = pm, fm = pm, fi = pm
            for op in 0..<k where op != reference {
                let fromInput = measure(genotype([(t, 0, op)])), fromMiddle = measure(genotype([(t, 3, op)]))
                (pi[op], fi[op]) = (fromInput.params - base.params, fromInput.flops - base.flops)
                (pm[op], fm[op]) = (fromMiddle.params - base.params, fromMiddle.flops - base.flops)
            }
            params.middle.append(pm)
            params.input.append(pi)
            flops.middle.append(fm)
            flops.input.append(fi)
        }
        self.params = params
        self.flops = flops
    }

    func value(_ table: Table, of architecture: Architecture) -> Double {
        var total = table.base
        for (t, cell) in architecture.cells.enumerated() {
            for (slot, op) in cell.operations.enumerated() {
                total += cell.inputs[slot] < inputs ? table.input[t][op] : table.middle[t][op]
            }
        }
        return total
    }

    /// The least and greatest value of the cells whose operation counts are `counts`.
    func range(_ table: Table, counts: [[Int]]) -> ClosedRange<Double> {
        var low = table.base, high = table.base
        for (t, n) in counts.enumerated() {
            // Every edge costs its middle value; an input edge adds its difference. Take the m smallest (largest)
            // differences among the cell's operations, for the best m the wiring allows.
            var differences = [Double]()
            for (op, c) in n.enumerated() {
                low += Double(c) * table.middle[t][op]
                high += Double(c) * table.middle[t][op]
                differences += repeatElement(table.input[t][op] - table.middle[t][op], count: c)
            }
            differences.sort()
            let m = inputEdges.clamped(to: 0...differences.count)
            low += m.map { differences.prefix($0).reduce(0, +) }.min() ?? 0
            high += m.map { differences.suffix($0).reduce(0, +) }.max() ?? 0
        }
        return low...high
    }

    /// The least and greatest value of any cell: each type's slots take their cheapest (dearest) operation, on as
    /// many input edges as pays.
    func extremes(_ table: Table) -> ClosedRange<Double> {
        let slots = DARTSSearchSpace.definition.slotsPerCell
        var low = table.base, high = table.base
        for t in table.middle.indices {
            let m = Array(inputEdges)
            low += m.map { Double($0) * table.input[t].min()! + Double(slots - $0) * table.middle[t].min()! }.min()!
            high += m.map { Double($0) * table.input[t].max()! + Double(slots - $0) * table.middle[t].max()! }.max()!
        }
        return low...high
    }

    func measure(_ table: Table) -> Feasibility.Measure {
        Feasibility.Measure(value: { value(table, of: $0) }, range: { range(table, counts: $0) })
    }

    /// One table per network shape, measured once per process.
    private static let cache = Mutex<[[Int]: DARTSMeasures]>([:])

    static func shared(channels: Int, layers: Int, inputChannels: Int, classes: Int, side: Int) -> DARTSMeasures {
        let key = [channels, layers, inputChannels, classes, side]
        if let known = cache.withLock({ $0[key] }) { return known }
        let made = DARTSMeasures(channels: channels, layers: layers, inputChannels: inputChannels, classes: classes, side: side)
        cache.withLock { $0[key] = made }
        return made
    }
}
