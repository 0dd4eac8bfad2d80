/// Architecture strings of user-defined spaces: `|op|op|…|` for a chain, NB201's edge list
/// `|op~source|…|+|…|` for DAG and DARTS-like cells, `type=…;type=…` for several cell types.
extension SlotSearchSpace {
    public func format(_ architecture: Architecture) -> String {
        let cells = architecture.cells.map(formatCell)
        guard cellTypes.count > 1 else { return cells[0] }
        return zip(cellTypes, cells).map { "\($0)=\($1)" }.joined(separator: ";")
    }

    private func formatCell(_ cell: Cell) -> String {
        let names = cell.operations.map { operations[$0] }
        switch wiring {
        case .chain:
            return "|" + names.joined(separator: "|") + "|"
        case .dag, .darts:
            let ends = wiring.endpoints(inputs: cell.inputs, slots: slotsPerCell)
            var text = "|"
            for (j, op) in names.enumerated() {
                if j > 0, ends[j].target != ends[j - 1].target { text += "+|" }
                text += "\(op)~\(ends[j].source)|"
            }
            return text
        }
    }

    public func parse(_ text: String) throws -> Architecture {
        guard cellTypes.count > 1 else { return Architecture(cells: [try parseCell(text, whole: text, offset: 0)]) }
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == cellTypes.count else {
            throw ANASODError(.malformedArchitecture, "'\(name)' architecture '\(text)': expected "
                              + cellTypes.map { "\($0)=…" }.joined(separator: ";"))
        }
        var cells = [Cell]()
        var offset = 0
        for (t, part) in parts.enumerated() {
            let prefix = cellTypes[t] + "="
            guard part.hasPrefix(prefix) else {
                throw ANASODError(.malformedArchitecture, "'\(name)' architecture '\(text)': expected '\(prefix)' at position \(offset + 1)")
            }
            cells.append(try parseCell(String(part.dropFirst(prefix.count)), whole: text, offset: offset + prefix.count))
            offset += part.count + 1
        }
        return Architecture(cells: cells)
    }

    /// One cell's string; `offset` is where it starts in `whole`, for positions in errors.
    private func parseCell(_ text: String, whole: String, offset: Int) throws -> Cell {
        func fail(_ message: String) -> ANASODError {
            ANASODError(.malformedArchitecture, "'\(name)' architecture '\(whole)': \(message)")
        }
        switch wiring {
        case .chain:
            guard text.hasPrefix("|"), text.hasSuffix("|"), text.count >= 2 else { throw fail("expected '|op|op|…|'") }
            var ops = [Int]()
            var position = offset + 2
            for token in text.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false) {
                guard let op = operationIndex(token) else {
                    throw fail("unknown operation '\(token)' at position \(position) (known: \(operations.joined(separator: ", ")))")
                }
                ops.append(op)
                position += token.count + 1
            }
            guard ops.count == slotsPerCell else { throw fail("\(ops.count) slots, expected \(slotsPerCell)") }
            return Cell(operations: ops)
        case .dag, .darts:
            let what = cellTypes.count == 1 ? "'\(name)' architecture" : "'\(name)' architecture '\(whole)': the \(cellTypeName(at: offset, in: whole)) cell"
            let groups: [[EdgeListParser.Edge]]
            do {
                groups = try EdgeListParser.parse(text, what: what)
            } catch let error as ANASODError where offset > 0 {
                throw ANASODError(.malformedArchitecture, error.message + " (within the cell, which starts at position \(offset + 1))")
            }
            let expected = nodeGroups
            guard groups.count == expected.count else {
                throw fail("expected \(expected.count) node groups separated by '+', found \(groups.count)")
            }
            var ops = [Int](), inputs = [Int]()
            for (g, group) in groups.enumerated() {
                let (target, sources) = expected[g]
                guard group.count == sources.count else {
                    throw fail("node \(target) needs \(sources.count) incoming edge(s), found \(group.count)")
                }
                var pairs = [(source: Int, op: Int)]()
                for (e, edge) in group.enumerated() {
                    guard let op = operationIndex(edge.operation) else {
                        throw fail("unknown operation '\(edge.operation)' at position \(offset + edge.position) "
                                   + "(known: \(operations.joined(separator: ", ")))")
                    }
                    if let fixed = sources[e] {
                        guard edge.source == fixed else {
                            throw fail("edge at position \(offset + edge.position) must come from node \(fixed), not \(edge.source)")
                        }
                    } else {
                        guard edge.source < target else {
                            throw fail("node \(target) cannot read node \(edge.source) (position \(offset + edge.position))")
                        }
                        guard !pairs.contains(where: { $0.source == edge.source }) else {
                            throw fail("node \(target) reads node \(edge.source) twice")
                        }
                    }
                    pairs.append((edge.source, op))
                }
                // A DARTS-like node's edges are unordered: stored by ascending source.
                if case .darts = wiring { pairs.sort { $0.source < $1.source } }
                ops += pairs.map(\.op)
                inputs += pairs.map(\.source)
            }
            let cell = Cell(operations: ops, inputs: inputs)
            return cell
        }
    }

    /// The node groups of the edge-list notation, in order: each target node and, per edge, its fixed
    /// source (a DAG) or nil (a DARTS-like node picks it).
    var nodeGroups: [(target: Int, sources: [Int?])] {
        switch wiring {
        case .chain:
            return []
        case .dag(let edges):
            var groups = [(target: Int, sources: [Int?])]()
            for edge in edges {
                if let last = groups.last, last.target == edge.target {
                    groups[groups.count - 1].sources.append(edge.source)
                } else {
                    groups.append((edge.target, [edge.source]))
                }
            }
            return groups
        case .darts(let nodes, let inputs, let perNode):
            return (0..<nodes).map { (inputs + $0, [Int?](repeating: nil, count: perNode)) }
        }
    }

    /// The cell type whose part of `whole` starts at `offset`.
    private func cellTypeName(at offset: Int, in whole: String) -> String {
        var start = 0
        for (t, part) in whole.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            if offset <= start + part.count, t < cellTypes.count { return cellTypes[t] }
            start += part.count + 1
        }
        return cellTypes.last ?? "cell"
    }
}
