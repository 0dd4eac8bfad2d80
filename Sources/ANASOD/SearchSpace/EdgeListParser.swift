/// Parses the NB201-style edge list `|op~src|op~src|+|op~src|…|`: groups of edges separated by `+`, each
/// edge an operation name and its source node. Shared by NB201 (groups of 1, 2, 3 edges) and the DARTS
/// cells (groups of 2).
struct EdgeListParser {
    struct Edge {
        var operation: String
        var source: Int
        /// 1-based character position of the operation name, for error messages.
        var position: Int
    }

    /// Splits `text` into groups of edges.
    /// - Throws: `ANASODError.Code.malformedArchitecture` with the 1-based position of the first error.
    static func parse(_ text: String, what: String) throws -> [[Edge]] {
        let chars = Array(text)
        var i = 0
        var groups = [[Edge]]()
        func fail(_ message: String, at index: Int) -> ANASODError {
            ANASODError(.malformedArchitecture, "\(what) '\(text)': \(message) at position \(index + 1)")
        }
        guard !chars.isEmpty else { throw ANASODError(.malformedArchitecture, "\(what) is empty") }
        while true {
            guard i < chars.count, chars[i] == "|" else {
                throw fail("expected '|'", at: i)
            }
            i += 1
            var group = [Edge]()
            // One or more `op~src|` edges.
            repeat {
                let start = i
                while i < chars.count, chars[i] != "~", chars[i] != "|", chars[i] != "+" { i += 1 }
                guard i > start else { throw fail("expected an operation name", at: start) }
                guard i < chars.count, chars[i] == "~" else { throw fail("expected '~' after the operation name", at: i) }
                let op = String(chars[start..<i])
                i += 1
                let digitsStart = i
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                guard i > digitsStart, i - digitsStart <= 4, let source = Int(String(chars[digitsStart..<i])) else {
                    throw fail("expected a source node number", at: digitsStart)
                }
                guard i < chars.count, chars[i] == "|" else { throw fail("expected '|' after the source node", at: i) }
                i += 1
                group.append(Edge(operation: op, source: source, position: start + 1))
            } while i < chars.count && chars[i] != "+"
            groups.append(group)
            if i == chars.count { return groups }
            i += 1  // the '+'
        }
    }
}
