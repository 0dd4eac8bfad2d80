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
    /// The space as a definition of the same kind as a user's: DARTS-like wiring, 4 nodes of 2 edges over
    /// 2 inputs, a normal and a reduction cell.
    public static let definition = SlotSearchSpace(builtIn: .darts, operations: operationNames, cellTypes: ["normal", "reduce"],
                                                   wiring: .darts(nodes: 4, inputs: 2, edgesPerNode: 2))

    public var slotSpace: SlotSearchSpace? { Self.definition }
    public var name: String { Self.definition.name }
    public var operations: [String] { Self.definition.operations }
    public var cellTypes: [String] { Self.definition.cellTypes }
    public var slotsPerCell: Int { Self.definition.slotsPerCell }

    public init() {}

    public var searchesConnectivity: Bool { Self.definition.searchesConnectivity }
    /// Node i picks one of C(i+2, 2) input pairs: 1 · 3 · 6 · 10.
    public var connectivityPatterns: Double { Self.definition.connectivityPatterns }

    /// Intermediate node i (0 … 3) draws 2 distinct sources uniformly from 0 … i+1.
    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] { Self.definition.drawInputs(using: &rng) }

    public func validate(_ architecture: Architecture) throws { try Self.definition.validate(architecture) }

    public func parse(_ text: String) throws -> Architecture { try Self.definition.parse(text) }

    public func format(_ architecture: Architecture) -> String { Self.definition.format(architecture) }
}
