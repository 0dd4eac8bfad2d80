/// A user-defined cell space (a study file's `space:` mapping): one or more cell types, each a cell of N
/// slots holding one of k named operations, wired as `wiring` says (`SlotWiring`: a chain of layers, a
/// fixed DAG, or DARTS-like searched connectivity). The encoding, both decoders and every strategy work on
/// it as on the built-in spaces.
///
/// Architecture strings: a chain is `|op|op|…|`; a DAG or a DARTS-like cell is the edge list
/// `|op~source|op~source|+|…|` with a `+` where the target node changes (NB201's notation); several cell
/// types are written `type=…;type=…` (DARTS's).
public struct SlotSearchSpace: SearchSpace, Hashable {
    public let name: String
    public let operations: [String]
    public let cellTypes: [String]
    public let slotsPerCell: Int
    public let wiring: SlotWiring
    /// The operations each slot may hold (indices, ascending), the same in every cell type; nil: any.
    public let slotOperations: [[Int]]?
    /// Per cell type, the operations its cells use (indices, ascending); nil: every operation in every type.
    public let cellOperations: [[Int]]?
    /// Per cell type and slot, the operations it may hold (`slotOperations` within `cellOperations`); nil
    /// when nothing is restricted.
    let typeSlotOperations: [[[Int]]]?
    /// Cell counts memoised per cell type (caches shared by copies; not part of the space's identity).
    let memos: [ArrangementMemo]
    /// What the space computes of a cell before training, by name (`space.measures`: parameters, FLOPs, a latency
    /// look-up table), for constraints and objectives.
    public let measures: [String: SpaceMeasure]

    /// - Parameters:
    ///   - slots: N; nil takes it from the wiring (a DAG's edge count, a DARTS-like cell's nodes × edges).
    ///   - allowed, forbidden: per slot (0-based), the operations it may hold only, or may not hold.
    ///   - cellOperations: per cell type, the operations its cells use (the others are forbidden in all its
    ///     slots); a type not named uses all.
    ///   - measures: per measure name, a base and every operation's value in one slot (`SpaceMeasure`).
    /// - Throws: `ANASODError.Code.invalidSearchSpace` naming the key: an empty or repeated operation, a name
    ///   with characters the architecture strings use, slots out of 1…1024 or not the wiring's, a bad wiring.
    public init(name: String, operations: [String], slots: Int? = nil, cellTypes: [String] = ["cell"],
                wiring: SlotWiring = .chain, allowed: [Int: [String]] = [:], forbidden: [Int: [String]] = [:],
                cellOperations: [String: [String]] = [:],
                measures: [String: (base: Double, operations: [String: Double])] = [:]) throws {
        func fail(_ message: String) -> ANASODError { ANASODError(.invalidSearchSpace, "search space '\(name)': \(message)") }
        guard !name.isEmpty, name.count <= 64,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw ANASODError(.invalidSearchSpace,
                              "'space.name' '\(name.prefix(80))' must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard SpaceName(rawValue: name) == nil else {
            throw ANASODError(.invalidSearchSpace, "'space.name' '\(name)' is a built-in space; name yours otherwise")
        }
        guard !operations.isEmpty else { throw fail("'operations' is empty") }
        guard operations.count <= 64 else { throw fail("'operations' lists \(operations.count) operations (at most 64)") }
        var seen = Set<String>()
        for (i, op) in operations.enumerated() {
            guard Self.isName(op) else {
                throw fail("operation \(i) ('\(op.prefix(80))') must be 1 to 64 characters without spaces or any of \(Self.reserved)")
            }
            guard seen.insert(op).inserted else { throw fail("operation '\(op)' is listed twice in 'operations'") }
        }
        guard !cellTypes.isEmpty, cellTypes.count <= 8 else {
            throw fail("'cell_types' must list 1 to 8 cell types, got \(cellTypes.count)")
        }
        var types = Set<String>()
        for type in cellTypes {
            guard Self.isName(type) else {
                throw fail("cell type '\(type.prefix(80))' must be 1 to 64 characters without spaces or any of \(Self.reserved)")
            }
            guard types.insert(type).inserted else { throw fail("cell type '\(type)' is listed twice in 'cell_types'") }
        }
        try wiring.validate(space: name)
        let n: Int
        switch (slots, wiring.slots) {
        case (nil, nil): throw fail("'slots' is required with 'wiring: chain'")
        case (let given?, let made?) where given != made:
            throw fail("'slots' is \(given) but the \(wiring.kind) wiring makes \(made) slots; leave 'slots' out or make them agree")
        case (let given?, _): n = given
        case (nil, let made?): n = made
        }
        guard (1...1024).contains(n) else { throw fail("'slots' must be in 1...1024, got \(n)") }
        self.name = name
        self.operations = operations
        self.cellTypes = cellTypes
        self.slotsPerCell = n
        self.wiring = wiring
        let restricted = try Self.restrictions(operations: operations, slots: n, cellTypes: cellTypes, allowed: allowed,
                                               forbidden: forbidden, cellOperations: cellOperations, fail: fail)
        slotOperations = restricted.slots
        self.cellOperations = restricted.cells
        typeSlotOperations = restricted.effective
        memos = (restricted.effective ?? []).map { ArrangementMemo(allowed: $0) }
        self.measures = try Self.measures(measures, operations: operations, fail: fail)
    }

    /// Checks `space.measures`: names, every operation valued once, finite values ≥ 0.
    static func measures(_ given: [String: (base: Double, operations: [String: Double])], operations: [String],
                         fail: (String) -> ANASODError) throws -> [String: SpaceMeasure] {
        guard given.count <= 16 else { throw fail("'measures' defines \(given.count) measures (at most 16)") }
        var out = [String: SpaceMeasure]()
        for (name, m) in given {
            guard isName(name), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), name != "val_error" else {
                throw fail("measure '\(name.prefix(80))' must be a name of letters, digits and '_' (not val_error)")
            }
            guard m.base.isFinite, (0...1e15).contains(m.base) else { throw fail("'measures.\(name).base' must be a number in 0…1e15, got \(m.base)") }
            if let unknown = m.operations.keys.sorted().first(where: { !operations.contains($0) }) {
                throw fail("'measures.\(name).operations' values '\(unknown.prefix(80))', which is not one of 'operations'")
            }
            let missing = operations.filter { m.operations[$0] == nil }
            guard missing.isEmpty else {
                throw fail("'measures.\(name).operations' must value every operation; it lacks \(missing.joined(separator: ", "))")
            }
            let values = operations.map { m.operations[$0]! }
            if let bad = operations.indices.first(where: { !(values[$0].isFinite && (0...1e15).contains(values[$0])) }) {
                throw fail("'measures.\(name).operations.\(operations[bad])' must be a number in 0…1e15, got \(values[bad])")
            }
            out[name] = SpaceMeasure(base: m.base, perOperation: values)
        }
        return out
    }

    /// A built-in space's definition (`NB201SearchSpace.definition`, `DARTSSearchSpace.definition`): the
    /// same type, without the check that keeps users' names apart from the built-in ones.
    init(builtIn: SpaceName, operations: [String], cellTypes: [String], wiring: SlotWiring) {
        do {
            let checked = try SlotSearchSpace(name: "builtin-" + builtIn.rawValue, operations: operations, cellTypes: cellTypes,
                                              wiring: wiring)
            name = builtIn.rawValue
            self.operations = checked.operations
            self.cellTypes = checked.cellTypes
            slotsPerCell = checked.slotsPerCell
            self.wiring = checked.wiring
            slotOperations = nil
            self.cellOperations = nil
            typeSlotOperations = nil
            memos = []
            measures = [:]
        } catch {
            preconditionFailure("the built-in space \(builtIn) is not a valid definition: \(error)")
        }
    }

    static let reserved = "| ~ + ; = ,"

    private static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && !s.contains { $0.isWhitespace || "|~+;=,".contains($0) }
    }

    public var searchesConnectivity: Bool {
        if case .darts = wiring { return true }
        return false
    }

    public var connectivityPatterns: Double { wiring.connectivityPatterns }
    public var slotSpace: SlotSearchSpace? { self }
    public var restrictsSlots: Bool { typeSlotOperations != nil }

    public func allows(cellType: Int, slot: Int, operation: Int) -> Bool {
        typeSlotOperations?[cellType][slot].contains(operation) ?? true
    }

    public func arrangementCount(_ n: [Int], cellType: Int) -> Double {
        guard restrictsSlots else { return multinomial(n) }
        return restrictedArrangementCount(n, cellType: cellType)
    }

    public func arrangement(_ n: [Int], cellType: Int, using rng: inout some RandomNumberGenerator) -> [Int] {
        guard let typeSlotOperations else {
            var ops = [Int]()
            for (op, c) in n.enumerated() { ops.append(contentsOf: repeatElement(op, count: c)) }
            rng.shuffle(&ops)
            return ops
        }
        return restrictedArrangement(n, cellType: cellType, typeSlotOperations[cellType], using: &rng)
    }

    public func feasibleCounts(rounded: [Int], target: [Double], cellType: Int) -> [Int] {
        guard let typeSlotOperations, restrictedArrangementCount(rounded, cellType: cellType) == 0 else {
            return rounded
        }
        return nearestFeasibleCounts(target: target, rounded: rounded, typeSlotOperations[cellType])
    }

    /// DARTS-like wiring: the inputs and every node but the last; 0 otherwise.
    public var sourceNodeCount: Int {
        if case .darts(let nodes, let inputs, _) = wiring { return inputs + nodes - 1 }
        return 0
    }

    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] {
        switch wiring {
        case .chain:
            return []
        case .dag(let edges):
            return edges.map(\.source)
        case .darts(let nodes, let inputs, let perNode):
            var drawn = [Int]()
            drawn.reserveCapacity(slotsPerCell)
            for i in 0..<nodes {
                // A uniform subset of `perNode` sources among the inputs + i nodes before node i: the j-th draw
                // picks uniformly among the sources not yet picked (for 2 edges a node, DARTS's own draw).
                var picked = [Int]()
                for j in 0..<perNode {
                    var r = rng.nextInt(below: inputs + i - j)
                    for p in picked.sorted() where r >= p { r += 1 }
                    picked.append(r)
                }
                drawn += picked.sorted()
            }
            return drawn
        }
    }

    public func validate(_ architecture: Architecture) throws {
        try validateOperations(architecture)
        for (t, cell) in architecture.cells.enumerated() {
            let type = cellTypes[t]
            if let slot = cell.operations.indices.first(where: { !allows(cellType: t, slot: $0, operation: cell.operations[$0]) }) {
                throw ANASODError(.invalidArchitecture, "'\(name)' \(type) cell: slot \(slot) may not hold '\(operations[cell.operations[slot]])'")
            }
            switch wiring {
            case .chain:
                guard cell.inputs.isEmpty else {
                    throw ANASODError(.invalidArchitecture, "'\(name)' \(type) cells are chains without inputs, got \(cell.inputs)")
                }
            case .dag(let edges):
                guard cell.inputs == edges.map(\.source) else {
                    throw ANASODError(.invalidArchitecture, "'\(name)' \(type) cell inputs must be \(edges.map(\.source)), got \(cell.inputs)")
                }
            case .darts(let nodes, let inputs, let perNode):
                guard cell.inputs.count == nodes * perNode else {
                    throw ANASODError(.invalidArchitecture, "'\(name)' \(type) cell needs \(nodes * perNode) inputs, got \(cell.inputs.count)")
                }
                for i in 0..<nodes {
                    let group = Array(cell.inputs[(i * perNode)..<((i + 1) * perNode)])
                    guard group.allSatisfy({ $0 >= 0 && $0 < inputs + i }), zip(group, group.dropFirst()).allSatisfy({ $0 < $1 }) else {
                        throw ANASODError(.invalidArchitecture, "'\(name)' \(type) cell: node \(inputs + i) needs \(perNode) distinct "
                                          + "ascending inputs in 0...\(inputs + i - 1), got \(group)")
                    }
                }
            }
        }
    }

    /// Each slot of cell `t` of `architecture` as (operation name, source node, target node): the plain
    /// structure a trainer builds its network from.
    public func slots(of architecture: Architecture) -> [[(operation: String, source: Int, target: Int)]] {
        architecture.cells.map { cell in
            zip(cell.operations, wiring.endpoints(inputs: cell.inputs, slots: slotsPerCell)).map {
                (operations[$0], $1.source, $1.target)
            }
        }
    }
}
