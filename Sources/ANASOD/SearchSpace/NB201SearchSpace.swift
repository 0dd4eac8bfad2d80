/// The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020; arXiv 2111.04670 §4): 4 nodes, 6 edges i → j
/// for i < j, k = 5 operations. Node j sums its incoming edges; node 3 is the output. 5^6 = 15,625 cells,
/// 210 encodings.
///
/// Slot order is the arch-string order: edges into node 1 (from 0), node 2 (from 0, 1), node 3
/// (from 0, 1, 2), so `inputs == [0, 0, 1, 0, 1, 2]`. Architecture string:
/// `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
public struct NB201SearchSpace: SearchSpace {
    public static let operationNames = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    /// The source node of each slot.
    public static let edgeSources = [0, 0, 1, 0, 1, 2]
    /// The target node of each slot.
    public static let edgeTargets = [1, 2, 2, 3, 3, 3]
    /// 5^6: the number of cells.
    public static let cellCount = 15_625

    /// The space as a definition of the same kind as a user's: a fixed DAG of the six edges.
    public static let definition = SlotSearchSpace(
        builtIn: .nb201, operations: operationNames, cellTypes: ["cell"],
        wiring: .dag(edges: zip(edgeSources, edgeTargets).map { SlotWiring.Edge(source: $0, target: $1) }))

    public var slotSpace: SlotSearchSpace? { Self.definition }
    public var name: String { Self.definition.name }
    public var operations: [String] { Self.definition.operations }
    public var cellTypes: [String] { Self.definition.cellTypes }
    public var slotsPerCell: Int { Self.definition.slotsPerCell }

    public init() {}

    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] { Self.edgeSources }

    public func validate(_ architecture: Architecture) throws { try Self.definition.validate(architecture) }

    public func parse(_ text: String) throws -> Architecture { try Self.definition.parse(text) }

    public func format(_ architecture: Architecture) -> String { Self.definition.format(architecture) }

    /// The cell's index in 0..<15,625: its operations read as base-5 digits, slot 0 most significant.
    public func index(of architecture: Architecture) -> Int {
        architecture.cells[0].operations.reduce(0) { $0 * 5 + $1 }
    }

    /// The cell with index `index` (inverse of `index(of:)`).
    public func architecture(at index: Int) -> Architecture {
        precondition(index >= 0 && index < Self.cellCount, "NB201 cell index out of range: \(index)")
        var ops = [Int](repeating: 0, count: 6)
        var rest = index
        for slot in stride(from: 5, through: 0, by: -1) {
            ops[slot] = rest % 5
            rest /= 5
        }
        return Architecture(cells: [Cell(operations: ops, inputs: Self.edgeSources)])
    }
}
