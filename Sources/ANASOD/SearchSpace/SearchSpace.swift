/// A cell-based search space: cells of N slots, each holding one of k operations, one cell per cell type,
/// and possibly a connectivity pattern (which node each slot reads from).
///
/// Implementations: `SlotSearchSpace` (a definition: operations, slots, wiring, cell types), which the
/// built-in `NB201SearchSpace` and `DARTSSearchSpace` are definitions of (`slotSpace`), with what only they
/// know (NB201's cell index, FLOPs priors) beside it. The encoding
/// and both decoders are written once, on top of this protocol, in `SearchSpace+Decoding.swift`.
public protocol SearchSpace: Sendable {
    /// A short name: `nb201`, `darts`, or the user's.
    var name: String { get }
    /// The k operation names, in encoding order.
    var operations: [String] { get }
    /// The cell types (`["cell"]`, or `["normal", "reduce"]`).
    var cellTypes: [String] { get }
    /// N: the slots (edges) of every cell.
    var slotsPerCell: Int { get }

    /// Draws the inputs of one cell's slots: the fixed pattern in spaces without searched connectivity,
    /// a uniformly random valid pattern otherwise.
    func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int]

    /// Checks that `architecture` belongs to this space (cell count, slot count, op indices, inputs).
    /// - Throws: `ANASODError.Code.invalidArchitecture` saying what is wrong.
    func validate(_ architecture: Architecture) throws

    /// Parses the space's architecture string.
    /// - Throws: `ANASODError.Code.malformedArchitecture` with the 1-based character position of the error.
    func parse(_ text: String) throws -> Architecture

    /// The space's architecture string; `parse(format(a)) == a` for every valid `a`.
    func format(_ architecture: Architecture) -> String

    /// Whether cells also differ in their connectivity (drawn by `drawInputs`), not only in their ops.
    var searchesConnectivity: Bool { get }

    /// How many connectivity patterns one cell can draw (1 when the connectivity is fixed).
    var connectivityPatterns: Double { get }

    /// The space as a definition of slots, operations and wiring (the built-in spaces' `definition`, a user's
    /// space itself): what notation, validation and a trainer job's plain slots come from. Nil for a space
    /// that is none.
    var slotSpace: SlotSearchSpace? { get }

    /// Whether some slots may not hold some operations (a user space's `allowed` / `forbidden`).
    var restrictsSlots: Bool { get }
    /// Whether slot `slot` of a cell of type `cellType` may hold operation `operation`.
    func allows(cellType: Int, slot: Int, operation: Int) -> Bool
    /// How many op sequences of a cell of type `cellType` have exactly the counts `n` (0: none, infeasible).
    func arrangementCount(_ n: [Int], cellType: Int) -> Double
    /// A uniformly random op sequence of a cell of type `cellType` with exactly the counts `n`, which must be
    /// feasible.
    func arrangement(_ n: [Int], cellType: Int, using rng: inout some RandomNumberGenerator) -> [Int]
    /// The feasible counts of a cell of type `cellType` nearest to `target` (N·p~), `rounded` (its
    /// largest-remainder rounding) when that is feasible.
    func feasibleCounts(rounded: [Int], target: [Double], cellType: Int) -> [Int]

    /// How many distinct nodes a slot may read where connectivity is searched (DARTS: 0 … 4, so 5); 0 when
    /// it is fixed. Sizes the one-hot of a slot's input in cell-level features.
    var sourceNodeCount: Int { get }

    /// What training a cell of these operation counts (one row per cell type) costs relative to other
    /// cells, before any has been trained: a FLOPs count or a proxy of it (a cost model's prior). Nil when
    /// the space cannot say.
    func relativeCost(counts: [[Int]]) -> Double?
}

extension SearchSpace {
    public func relativeCost(counts: [[Int]]) -> Double? { nil }
    public var searchesConnectivity: Bool { false }
    public var connectivityPatterns: Double { 1 }
    public var slotSpace: SlotSearchSpace? { nil }
    public var restrictsSlots: Bool { false }
    public func allows(cellType: Int, slot: Int, operation: Int) -> Bool { true }
    public func arrangementCount(_ n: [Int], cellType: Int) -> Double { multinomial(n) }
    public func arrangement(_ n: [Int], cellType: Int, using rng: inout some RandomNumberGenerator) -> [Int] {
        var ops = [Int]()
        ops.reserveCapacity(slotsPerCell)
        for (op, c) in n.enumerated() { ops.append(contentsOf: repeatElement(op, count: c)) }
        rng.shuffle(&ops)
        return ops
    }
    public func feasibleCounts(rounded: [Int], target: [Double], cellType: Int) -> [Int] { rounded }
    /// The definition's count, else DARTS's shape (2 inputs, 4 nodes of 2 edges: sources 0 … 4) where
    /// connectivity is searched.
    public var sourceNodeCount: Int { slotSpace?.sourceNodeCount ?? (searchesConnectivity ? slotsPerCell / 2 + 1 : 0) }

    /// k: the number of operations.
    public var operationCount: Int { operations.count }

    /// The index of an operation name, or nil.
    public func operationIndex(_ name: some StringProtocol) -> Int? {
        operations.firstIndex { $0 == name }
    }

    /// Checks op indices and the slot count of every cell; shared by the concrete `validate`s.
    func validateOperations(_ architecture: Architecture) throws {
        guard architecture.cells.count == cellTypes.count else {
            throw ANASODError(.invalidArchitecture,
                              "\(name) architectures have \(cellTypes.count) cell(s), got \(architecture.cells.count)")
        }
        for (t, cell) in architecture.cells.enumerated() {
            guard cell.operations.count == slotsPerCell else {
                throw ANASODError(.invalidArchitecture,
                                  "\(cellTypes[t]) cell has \(cell.operations.count) slots, \(name) needs \(slotsPerCell)")
            }
            if let bad = cell.operations.first(where: { $0 < 0 || $0 >= operationCount }) {
                throw ANASODError(.invalidArchitecture, "\(cellTypes[t]) cell uses operation index \(bad) of \(operationCount)")
            }
        }
    }
}
