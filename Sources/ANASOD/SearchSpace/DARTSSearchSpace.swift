/// The DARTS / NASNet / NAS-Bench-301 space (Liu et al., ICLR 2019; arXiv 2111.04670 §4): a normal and a
/// reduction cell, each with 2 input nodes (0, 1) and 4 intermediate nodes (2 … 5); intermediate node i
/// picks 2 distinct inputs among the nodes before it, so 8 edges per cell and k = 7 operations.
///
/// Slots 2i and 2i+1 are the two edges into intermediate node i + 2, stored with ascending sources (the
/// canonical form: the two edges of a node are unordered). Architecture string:
/// `normal=|op~a|op~b|+|…|+|…|+|…|;reduce=|…|`.
public struct DARTSSearchSpace: SearchSpace {
    public static let operationNames = ["sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
                                        "max_pool_3x3", "avg_pool_3x3", "skip_connect"]
    public let name = SpaceName.darts.rawValue
    public let operations = DARTSSearchSpace.operationNames
    public let cellTypes = ["normal", "reduce"]
    public let slotsPerCell = 8

    public init() {}

    public var searchesConnectivity: Bool { true }
    /// Node i picks one of C(i+2, 2) input pairs: 1 · 3 · 6 · 10.
    public var connectivityPatterns: Double { 180 }

    /// Intermediate node i (0 … 3) draws 2 distinct sources uniformly from 0 … i+1.
    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] {
        var inputs = [Int]()
        inputs.reserveCapacity(8)
        for i in 0..<4 {
            let a = rng.nextInt(below: i + 2)
            var b = rng.nextInt(below: i + 1)
            if b >= a { b += 1 }
            inputs.append(min(a, b))
            inputs.append(max(a, b))
        }
        return inputs
    }

    public func validate(_ architecture: Architecture) throws {
        try validateOperations(architecture)
        for (t, cell) in architecture.cells.enumerated() {
            guard cell.inputs.count == 8 else {
                throw ANASODError(.invalidArchitecture, "\(cellTypes[t]) cell needs 8 inputs, got \(cell.inputs.count)")
            }
            for i in 0..<4 {
                let a = cell.inputs[2 * i], b = cell.inputs[2 * i + 1]
                guard a >= 0, a < b, b < i + 2 else {
                    throw ANASODError(.invalidArchitecture,
                                      "\(cellTypes[t]) cell: node \(i + 2) needs 2 distinct ascending inputs in 0...\(i + 1), got \(a), \(b)")
                }
            }
        }
    }

    public func parse(_ text: String) throws -> Architecture {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ANASODError(.malformedArchitecture, "DARTS arch string '\(text)': expected 'normal=…;reduce=…'")
        }
        var cells = [Cell]()
        var offset = 0
        for (t, part) in parts.enumerated() {
            let prefix = cellTypes[t] + "="
            guard part.hasPrefix(prefix) else {
                throw ANASODError(.malformedArchitecture,
                                  "DARTS arch string '\(text)': expected '\(prefix)' at position \(offset + 1)")
            }
            let body = String(part.dropFirst(prefix.count))
            let groups: [[EdgeListParser.Edge]]
            do {
                groups = try EdgeListParser.parse(body, what: "DARTS \(cellTypes[t]) cell")
            } catch let error as ANASODError {
                throw ANASODError(.malformedArchitecture, "DARTS arch string '\(text)': \(error.message) (within the \(cellTypes[t]) cell, which starts at position \(offset + prefix.count + 1))")
            }
            guard groups.count == 4, groups.allSatisfy({ $0.count == 2 }) else {
                throw ANASODError(.malformedArchitecture,
                                  "DARTS arch string '\(text)': the \(cellTypes[t]) cell needs 4 nodes of 2 edges each")
            }
            var ops = [Int](), inputs = [Int]()
            for (i, group) in groups.enumerated() {
                var pair = [(op: Int, source: Int)]()
                for edge in group {
                    guard let op = operationIndex(edge.operation) else {
                        throw ANASODError(.malformedArchitecture,
                                          "DARTS arch string '\(text)': unknown operation '\(edge.operation)' at position \(offset + prefix.count + edge.position)")
                    }
                    guard edge.source <= i + 1 else {
                        throw ANASODError(.malformedArchitecture,
                                          "DARTS arch string '\(text)': node \(i + 2) cannot read node \(edge.source) (position \(offset + prefix.count + edge.position))")
                    }
                    pair.append((op, edge.source))
                }
                guard pair[0].source != pair[1].source else {
                    throw ANASODError(.malformedArchitecture,
                                      "DARTS arch string '\(text)': node \(i + 2) reads node \(pair[0].source) twice")
                }
                pair.sort { $0.source < $1.source }
                ops += pair.map(\.op)
                inputs += pair.map(\.source)
            }
            cells.append(Cell(operations: ops, inputs: inputs))
            offset += part.count + 1
        }
        return Architecture(cells: cells)
    }

    public func format(_ architecture: Architecture) -> String {
        zip(cellTypes, architecture.cells).map { type, cell in
            let nodes = (0..<4).map { i in
                (0..<2).map { e in "\(operations[cell.operations[2 * i + e]])~\(cell.inputs[2 * i + e])" }
                    .joined(separator: "|")
            }
            return "\(type)=|" + nodes.joined(separator: "|+|") + "|"
        }.joined(separator: ";")
    }
}
