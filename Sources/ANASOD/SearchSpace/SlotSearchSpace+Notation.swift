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
            let groups: [[EdgeListParser.Edge]]
            do {
                groups = try EdgeListParser.parse(text, what: "cell")
            } catch let error as ANASODError {
                throw fail(error.message + (offset > 0 ? " (of the cell starting at position \(offset + 1))" : ""))
            }
            let edges = groups.flatMap { $0 }
            guard edges.count == slotsPerCell else { throw fail("\(edges.count) edges, expected \(slotsPerCell)") }
            var ops = [Int](), inputs = [Int]()
            for edge in edges {
                guard let op = operationIndex(edge.operation) else {
                    throw fail("unknown operation '\(edge.operation)' at position \(offset + edge.position) "
                               + "(known: \(operations.joined(separator: ", ")))")
                }
                ops.append(op)
                inputs.append(edge.source)
            }
            var cell = Cell(operations: ops, inputs: inputs)
            if case .darts(_, _, let perNode) = wiring {
                // A node's edges are unordered: store them by ascending source.
                for start in stride(from: 0, to: slotsPerCell, by: perNode) {
                    let pairs = (start..<(start + perNode)).map { (cell.inputs[$0], cell.operations[$0]) }.sorted { $0.0 < $1.0 }
                    for (j, pair) in pairs.enumerated() {
                        cell.inputs[start + j] = pair.0
                        cell.operations[start + j] = pair.1
                    }
                }
            }
            do {
                try validate(Architecture(cells: [Cell](repeating: cell, count: cellTypes.count)))
            } catch let error as ANASODError {
                throw fail(error.message)
            }
            // The node groups must be where the wiring puts them ('+' where the target changes).
            let canonical = formatCell(cell)
            let written = text.split(separator: "+").map { $0.split(separator: "|").count }
            let expected = canonical.split(separator: "+").map { $0.split(separator: "|").count }
            guard written == expected else {
                throw fail("the edges are grouped \(written) by '+', the wiring groups them \(expected) (by target node)")
            }
            return cell
        }
    }
}
