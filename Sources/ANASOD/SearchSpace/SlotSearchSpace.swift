/// A user-defined space: one cell of N slots, each one of k named operations, no connectivity (for
/// example the layers of a chain network). Architecture string: `|op|op|…|`.
public struct SlotSearchSpace: SearchSpace, Codable, Equatable {
    public let name: String
    public let operations: [String]
    public var cellTypes: [String] { ["cell"] }
    public let slotsPerCell: Int

    private enum CodingKeys: String, CodingKey {
        case name, operations, slotsPerCell = "slots"
    }

    /// - Throws: `ANASODError.Code.invalidSearchSpace` when there are no operations, a name is empty,
    ///   repeated or contains `|`, or the slot count is not in 1…1024.
    public init(name: String, operations: [String], slots: Int) throws {
        guard !name.isEmpty else { throw ANASODError(.invalidSearchSpace, "the search space needs a name") }
        guard !operations.isEmpty else {
            throw ANASODError(.invalidSearchSpace, "search space '\(name)': 'operations' is empty")
        }
        var seen = Set<String>()
        for (i, op) in operations.enumerated() {
            guard !op.isEmpty, !op.contains("|"), !op.contains(",") else {
                throw ANASODError(.invalidSearchSpace, "search space '\(name)': operation \(i) ('\(op)') must be non-empty without '|' or ','")
            }
            guard seen.insert(op).inserted else {
                throw ANASODError(.invalidSearchSpace, "search space '\(name)': operation '\(op)' is listed twice")
            }
        }
        guard (1...1024).contains(slots) else {
            throw ANASODError(.invalidSearchSpace, "search space '\(name)': 'slots' must be in 1...1024, got \(slots)")
        }
        self.name = name
        self.operations = operations
        self.slotsPerCell = slots
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(name: try c.decode(String.self, forKey: .name),
                      operations: try c.decode([String].self, forKey: .operations),
                      slots: try c.decode(Int.self, forKey: .slotsPerCell))
    }

    public func drawInputs(using rng: inout some RandomNumberGenerator) -> [Int] { [] }

    public func validate(_ architecture: Architecture) throws {
        try validateOperations(architecture)
        guard architecture.cells[0].inputs.isEmpty else {
            throw ANASODError(.invalidArchitecture, "'\(name)' cells have no connectivity, got inputs")
        }
    }

    public func parse(_ text: String) throws -> Architecture {
        guard text.hasPrefix("|"), text.hasSuffix("|"), text.count >= 2 else {
            throw ANASODError(.malformedArchitecture, "'\(name)' architecture '\(text)': expected '|op|op|…|'")
        }
        var ops = [Int]()
        var position = 2
        for token in text.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false) {
            guard let op = operationIndex(token) else {
                throw ANASODError(.malformedArchitecture,
                                  "'\(name)' architecture '\(text)': unknown operation '\(token)' at position \(position)")
            }
            ops.append(op)
            position += token.count + 1
        }
        guard ops.count == slotsPerCell else {
            throw ANASODError(.malformedArchitecture, "'\(name)' architecture '\(text)': \(ops.count) slots, expected \(slotsPerCell)")
        }
        return Architecture(cells: [Cell(operations: ops)])
    }

    public func format(_ architecture: Architecture) -> String {
        "|" + architecture.cells[0].operations.map { operations[$0] }.joined(separator: "|") + "|"
    }
}
