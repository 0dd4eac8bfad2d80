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

    public let name = SpaceName.nb201.rawValue
    public let operations = NB201SearchSpace.operationNames
    public let cellTypes = ["cell"]
    public let slotsPerCell = 6

    public init() {}

    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] { Self.edgeSources }

    public func validate(_ architecture: Architecture) throws {
        try validateOperations(architecture)
        guard architecture.cells[0].inputs == Self.edgeSources else {
            throw ANASODError(.invalidArchitecture, "NB201 cell inputs must be \(Self.edgeSources), got \(architecture.cells[0].inputs)")
        }
    }

    public func parse(_ text: String) throws -> Architecture {
        let groups = try EdgeListParser.parse(text, what: "NB201 arch string")
        guard groups.count == 3 else {
            throw ANASODError(.malformedArchitecture, "NB201 arch string '\(text)': expected 3 node groups separated by '+', found \(groups.count)")
        }
        var ops = [Int]()
        for (g, group) in groups.enumerated() {
            guard group.count == g + 1 else {
                throw ANASODError(.malformedArchitecture,
                                  "NB201 arch string '\(text)': node \(g + 1) needs \(g + 1) incoming edge(s), found \(group.count)")
            }
            for (s, edge) in group.enumerated() {
                guard let op = operationIndex(edge.operation) else {
                    throw ANASODError(.malformedArchitecture,
                                      "NB201 arch string '\(text)': unknown operation '\(edge.operation)' at position \(edge.position) (known: \(operations.joined(separator: ", ")))")
                }
                guard edge.source == s else {
                    throw ANASODError(.malformedArchitecture,
                                      "NB201 arch string '\(text)': edge at position \(edge.position) must come from node \(s), not \(edge.source)")
                }
                ops.append(op)
            }
        }
        return Architecture(cells: [Cell(operations: ops, inputs: Self.edgeSources)])
    }

    public func format(_ architecture: Architecture) -> String {
        let ops = architecture.cells[0].operations.map { operations[$0] }
        return "|\(ops[0])~0|+|\(ops[1])~0|\(ops[2])~1|+|\(ops[3])~0|\(ops[4])~1|\(ops[5])~2|"
    }

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
