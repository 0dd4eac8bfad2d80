/// How the slots of a user-defined cell are wired: which node each slot (an operation on an edge) reads
/// from and which it feeds.
///
/// - `chain`: a plain sequence of layers; slot i reads node i and feeds node i + 1. No connectivity is
///   stored in the cell (`Cell.inputs` is empty).
/// - `dag(edges)`: a fixed DAG, one slot per listed edge (source, target), in the order listed (NB201 is
///   the DAG `[0,1] [0,2] [1,2] [0,3] [1,3] [2,3]`). Node 0 is the cell's input, the highest node its
///   output; every other node has an incoming and an outgoing edge.
/// - `darts(nodes:inputs:edgesPerNode:)`: DARTS-like (Liu et al., ICLR 2019): the cell has `inputs` input
///   nodes (0 … inputs − 1), then `nodes` intermediate nodes; intermediate node i picks `edgesPerNode`
///   distinct sources among the nodes before it, so connectivity is searched. Slots
///   `i·edgesPerNode …` are node i's edges, stored with ascending sources.
public enum SlotWiring: Hashable, Sendable {
    case chain
    case dag(edges: [Edge])
    case darts(nodes: Int, inputs: Int, edgesPerNode: Int)

    /// One edge of a fixed DAG.
    public struct Edge: Hashable, Sendable {
        public var source: Int
        public var target: Int

        public init(source: Int, target: Int) {
            self.source = source
            self.target = target
        }
    }

    /// The number of slots this wiring makes, or nil when the wiring leaves it free (`chain`).
    public var slots: Int? {
        switch self {
        case .chain: nil
        case .dag(let edges): edges.count
        case .darts(let nodes, _, let perNode): nodes * perNode
        }
    }

    /// The wiring's name as a study file writes it.
    public var kind: String {
        switch self {
        case .chain: "chain"
        case .dag: "dag"
        case .darts: "darts"
        }
    }

    /// Checks the wiring, naming the key of a study file's `space` section in each error (`wiring.dag`).
    /// - Throws: `ANASODError.Code.invalidSearchSpace`: a DAG that is empty, has a self-loop, a repeated
    ///   edge, a missing node number, an edge into the input or out of the output, a cycle or a dangling
    ///   node; DARTS-like numbers out of range.
    public func validate(space: String) throws {
        func fail(_ message: String) -> ANASODError {
            ANASODError(.invalidSearchSpace, "search space '\(space)': \(message)")
        }
        switch self {
        case .chain:
            return
        case .dag(let edges):
            try Self.validateDAG(edges, fail: fail)
        case .darts(let nodes, let inputs, let perNode):
            guard (1...64).contains(nodes) else { throw fail("'wiring.darts.nodes' must be in 1...64, got \(nodes)") }
            guard (1...16).contains(inputs) else { throw fail("'wiring.darts.inputs' must be in 1...16, got \(inputs)") }
            guard perNode >= 1, perNode <= inputs else {
                throw fail("'wiring.darts.edges_per_node' must be in 1...\(inputs) (the first node can only read the "
                           + "\(inputs) input(s)), got \(perNode)")
            }
        }
    }

    private static func validateDAG(_ edges: [Edge], fail: (String) -> ANASODError) throws {
        guard !edges.isEmpty else { throw fail("'wiring.dag' lists no edges") }
        guard edges.count <= 1024 else { throw fail("'wiring.dag' lists \(edges.count) edges (at most 1024)") }
        var seen = Set<Edge>()
        for (i, e) in edges.enumerated() {
            guard e.source >= 0, e.target >= 0, e.source <= 1024, e.target <= 1024 else {
                throw fail("'wiring.dag[\(i)]' [\(e.source), \(e.target)]: nodes are numbers in 0...1024")
            }
            guard e.source != e.target else { throw fail("'wiring.dag[\(i)]' [\(e.source), \(e.target)] is a cycle (a self-loop)") }
            guard seen.insert(e).inserted else { throw fail("'wiring.dag[\(i)]' [\(e.source), \(e.target)] is listed twice") }
        }
        let output = edges.map { max($0.source, $0.target) }.max()!
        var incoming = [Int](repeating: 0, count: output + 1), outgoing = incoming
        for e in edges {
            incoming[e.target] += 1
            outgoing[e.source] += 1
        }
        for node in 0...output where incoming[node] == 0 && outgoing[node] == 0 {
            throw fail("'wiring.dag': node \(node) is in no edge (number the nodes 0...\(output) without gaps)")
        }
        if let e = edges.first(where: { $0.target == 0 }) {
            throw fail("'wiring.dag': edge [\(e.source), 0] points into node 0, the cell's input")
        }
        if let e = edges.first(where: { $0.source == output }) {
            throw fail("'wiring.dag': edge [\(output), \(e.target)] leaves node \(output), the cell's output (the highest node)")
        }
        // Kahn's algorithm: what is left once every node without incoming edges is removed lies on a cycle.
        var indegree = incoming
        var ready = (0...output).filter { indegree[$0] == 0 }
        var removed = 0
        while let node = ready.popLast() {
            removed += 1
            for e in edges where e.source == node {
                indegree[e.target] -= 1
                if indegree[e.target] == 0 { ready.append(e.target) }
            }
        }
        if removed <= output {
            // Of what is left, drop what only leads out of the cycles (nodes downstream of one).
            var left = Set((0...output).filter { indegree[$0] > 0 })
            var outdegree = [Int](repeating: 0, count: output + 1)
            for e in edges where left.contains(e.source) && left.contains(e.target) { outdegree[e.source] += 1 }
            var sinks = left.filter { outdegree[$0] == 0 }
            while let sink = sinks.popFirst() {
                left.remove(sink)
                for e in edges where e.target == sink && left.contains(e.source) {
                    outdegree[e.source] -= 1
                    if outdegree[e.source] == 0 { sinks.insert(e.source) }
                }
            }
            let onCycle = left.sorted().map(String.init).joined(separator: ", ")
            throw fail("'wiring.dag' has a cycle (through nodes \(onCycle))")
        }
        for node in 1...output where incoming[node] == 0 {
            throw fail("'wiring.dag': node \(node) is dangling: no edge leads into it (only node 0, the input, may have none)")
        }
        for node in 0..<output where outgoing[node] == 0 {
            throw fail("'wiring.dag': node \(node) is dangling: no edge leaves it, so it never reaches the output \(output)")
        }
    }

    /// How many connectivity patterns one cell has: Π over intermediate nodes of C(inputs + i, edgesPerNode)
    /// for DARTS-like wiring, 1 otherwise.
    public var connectivityPatterns: Double {
        guard case .darts(let nodes, let inputs, let perNode) = self else { return 1 }
        var total = 1.0
        for i in 0..<nodes { total *= binomial(inputs + i, perNode) }
        return total
    }

    /// The (source, target) node of each slot of a cell with `inputs` (`Cell.inputs`) and `slots` slots.
    public func endpoints(inputs cellInputs: [Int], slots: Int) -> [(source: Int, target: Int)] {
        switch self {
        case .chain:
            return (0..<slots).map { ($0, $0 + 1) }
        case .dag(let edges):
            return edges.map { ($0.source, $0.target) }
        case .darts(_, let inputs, let perNode):
            return cellInputs.enumerated().map { ($1, inputs + $0 / perNode) }
        }
    }
}

/// C(n, k) as a Double.
func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0, k <= n else { return 0 }
    var value = 1.0
    for i in 0..<min(k, n - k) { value = value * Double(n - i) / Double(i + 1) }
    return value.rounded()
}
