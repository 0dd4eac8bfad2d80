import Foundation

/// Operations allowed or forbidden per slot (a study file's `space.allowed` / `space.forbidden`): which
/// count vectors are feasible, how many cells each has, a uniform cell among them, and the feasible grid
/// point nearest to a rounded one.
extension SlotSearchSpace {
    /// The most slots a cell with restrictions may have (cell counts are computed by dynamic programming
    /// over the slots).
    static let maxRestrictedSlots = 32
    /// The most grid points a cell type with restrictions may have (which of them have cells is enumerated).
    static let maxRestrictedGrid = 2e5

    /// Checks and normalises `allowed` / `forbidden` (per slot) and `cellOperations` (per cell type):
    /// `slots`, each slot's operations (nil: any); `cells`, each type's operations (nil: all in all);
    /// `effective`, per type and slot, both at once (nil when nothing is restricted).
    static func restrictions(operations: [String], slots: Int, cellTypes: [String], allowed: [Int: [String]],
                             forbidden: [Int: [String]], cellOperations: [String: [String]], fail: (String) -> ANASODError)
        throws -> (slots: [[Int]]?, cells: [[Int]]?, effective: [[[Int]]]?) {
        guard !allowed.isEmpty || !forbidden.isEmpty || !cellOperations.isEmpty else { return (nil, nil, nil) }
        guard slots <= maxRestrictedSlots else {
            throw fail("'allowed', 'forbidden' and 'cell_operations' apply to cells of at most \(maxRestrictedSlots) slots, this one has \(slots)")
        }
        let grid = binomial(slots + operations.count - 1, operations.count - 1)
        guard grid <= maxRestrictedGrid else {
            throw fail("'allowed', 'forbidden' and 'cell_operations' apply to spaces of at most \(Int(maxRestrictedGrid)) operation "
                       + "distributions a cell type (C(N+k−1, k−1)); this one has \(grid < 1e15 ? String(Int(grid)) : "over 10^15")")
        }
        var may = [[Bool]](repeating: [Bool](repeating: true, count: operations.count), count: slots)
        for (key, entries) in [("allowed", allowed), ("forbidden", forbidden)] {
            for (slot, names) in entries.sorted(by: { $0.key < $1.key }) {
                guard (0..<slots).contains(slot) else {
                    throw fail("'\(key).\(slot)': slots are numbered 0...\(slots - 1)")
                }
                var listed = [Bool](repeating: false, count: operations.count)
                for name in names {
                    guard let op = operations.firstIndex(of: name) else {
                        throw fail("'\(key).\(slot)' names '\(name.prefix(80))', which is not in 'operations'")
                    }
                    listed[op] = true
                }
                for op in operations.indices {
                    if key == "allowed" ? !listed[op] : listed[op] { may[slot][op] = false }
                }
            }
        }
        if let slot = may.firstIndex(where: { !$0.contains(true) }) {
            throw fail("slot \(slot) may hold no operation (its 'allowed' and 'forbidden' leave none)")
        }
        var uses = [[Bool]](repeating: [Bool](repeating: true, count: operations.count), count: cellTypes.count)
        for (type, names) in cellOperations.sorted(by: { $0.key < $1.key }) {
            guard let t = cellTypes.firstIndex(of: type) else {
                throw fail("'cell_operations.\(type.prefix(80))' names no cell type (cell_types: \(cellTypes.joined(separator: ", ")))")
            }
            guard !names.isEmpty else { throw fail("'cell_operations.\(type)' is empty") }
            uses[t] = [Bool](repeating: false, count: operations.count)
            for name in names {
                guard let op = operations.firstIndex(of: name) else {
                    throw fail("'cell_operations.\(type)' names '\(name.prefix(80))', which is not in 'operations'")
                }
                guard !uses[t][op] else { throw fail("'cell_operations.\(type)' lists '\(name)' twice") }
                uses[t][op] = true
            }
        }
        var effective = [[[Int]]]()
        for t in cellTypes.indices {
            var rows = [[Int]]()
            for slot in 0..<slots {
                let ops = operations.indices.filter { may[slot][$0] && uses[t][$0] }
                guard !ops.isEmpty else {
                    throw fail("slot \(slot) of the \(cellTypes[t]) cell may hold no operation ('cell_operations.\(cellTypes[t])' "
                               + "and the slot's 'allowed' / 'forbidden' leave none)")
                }
                rows.append(ops)
            }
            effective.append(rows)
        }
        if let op = operations.indices.first(where: { op in !effective.contains { rows in rows.contains { $0.contains(op) } } }) {
            throw fail("operation '\(operations[op])' is forbidden in every slot: remove it from 'operations'")
        }
        let full = operations.count
        let slotRows = may.map { row in row.indices.filter { row[$0] } }
        let cellRows = uses.map { row in row.indices.filter { row[$0] } }
        return (slotRows.allSatisfy { $0.count == full } ? nil : slotRows,
                cellRows.allSatisfy { $0.count == full } ? nil : cellRows,
                effective.allSatisfy { $0.allSatisfy { $0.count == full } } ? nil : effective)
    }

    /// Cells with exactly the counts `n` (one memo per cell type, shared by every call: it depends only on the
    /// counts left).
    func restrictedArrangementCount(_ n: [Int], cellType: Int) -> Double {
        guard n.count == operationCount, n.reduce(0, +) == slotsPerCell, n.allSatisfy({ $0 >= 0 }) else { return 0 }
        return memos[cellType].count(n)
    }

    /// Every op sequence with counts `n` that keeps to the restrictions, in lexicographic order: depth first,
    /// only through prefixes that some allowed sequence completes.
    func allowedArrangements(_ n: [Int], cellType: Int) -> [[Int]] {
        guard let typeSlotOperations else { return distinctArrangements(n) }
        let slotOperations = typeSlotOperations[cellType], memo = memos[cellType]
        guard restrictedArrangementCount(n, cellType: cellType) > 0 else { return [] }
        var result = [[Int]]()
        var current = [Int]()
        var rest = n
        func extend() {
            if current.count == slotsPerCell {
                result.append(current)
                return
            }
            for op in slotOperations[current.count] where rest[op] > 0 {
                rest[op] -= 1
                if memo.count(rest) > 0 {
                    current.append(op)
                    extend()
                    current.removeLast()
                }
                rest[op] += 1
            }
        }
        extend()
        return result
    }

    /// A uniformly random cell with counts `n`: each slot's op drawn in proportion to the cells that still
    /// complete it. `n` must be feasible.
    func restrictedArrangement(_ n: [Int], cellType: Int, _ allowed: [[Int]], using rng: inout some RandomNumberGenerator) -> [Int] {
        let memo = memos[cellType]
        var rest = n
        var ops = [Int]()
        ops.reserveCapacity(slotsPerCell)
        for slot in 0..<slotsPerCell {
            var weights = [Double](), choices = [Int]()
            for op in allowed[slot] where rest[op] > 0 {
                rest[op] -= 1
                let completions = memo.count(rest)
                rest[op] += 1
                if completions > 0 {
                    weights.append(completions)
                    choices.append(op)
                }
            }
            precondition(!choices.isEmpty, "counts \(n) are not feasible in \(name)")
            var u = rng.nextUniform() * weights.reduce(0, +)
            var pick = choices.count - 1
            for (i, w) in weights.enumerated() {
                if u < w {
                    pick = i
                    break
                }
                u -= w
            }
            ops.append(choices[pick])
            rest[choices[pick]] -= 1
        }
        return ops
    }

    /// The feasible counts nearest to `target` (N·p~) in L1 distance, ties broken towards `rounded` (the
    /// largest-remainder rounding): a minimum-cost flow from slots to the operations they allow, each
    /// operation's c-th unit costing |c − t_i| − |c − 1 − t_i| (convex, so unit arcs in order are exact).
    func nearestFeasibleCounts(target: [Double], rounded: [Int], _ allowed: [[Int]]) -> [Int] {
        let n = slotsPerCell, k = operationCount
        let source = 0, sink = n + k + 1
        struct Arc { var to: Int; var capacity: Int; var cost: Double; var reverse: Int }
        var graph = [[Arc]](repeating: [], count: n + k + 2)
        func addArc(_ from: Int, _ to: Int, _ cost: Double) {
            graph[from].append(Arc(to: to, capacity: 1, cost: cost, reverse: graph[to].count))
            graph[to].append(Arc(to: from, capacity: 0, cost: -cost, reverse: graph[from].count - 1))
        }
        for slot in 0..<n {
            addArc(source, 1 + slot, 0)
            for op in allowed[slot] { addArc(1 + slot, 1 + n + op, 0) }
        }
        for op in 0..<k {
            for c in 0..<n {
                let x = Double(c)
                let cost = (abs(x + 1 - target[op]) - abs(x - target[op]))
                    + 1e-6 * (abs(x + 1 - Double(rounded[op])) - abs(x - Double(rounded[op])))
                addArc(1 + n + op, sink, cost)
            }
        }
        // n augmenting paths of one unit each, shortest by cost (Bellman–Ford: costs may be negative).
        for _ in 0..<n {
            var distance = [Double](repeating: .infinity, count: graph.count)
            var via = [(node: Int, arc: Int)?](repeating: nil, count: graph.count)
            distance[source] = 0
            var changed = true
            while changed {
                changed = false
                for u in graph.indices where distance[u] < .infinity {
                    for (i, arc) in graph[u].enumerated() where arc.capacity > 0 && distance[u] + arc.cost < distance[arc.to] - 1e-12 {
                        distance[arc.to] = distance[u] + arc.cost
                        via[arc.to] = (u, i)
                        changed = true
                    }
                }
            }
            precondition(distance[sink] < .infinity, "every slot of \(name) allows an operation")
            var v = sink
            while let (u, i) = via[v] {
                graph[u][i].capacity -= 1
                graph[v][graph[u][i].reverse].capacity += 1
                v = u
            }
        }
        return (0..<k).map { op in graph[1 + n + op].filter { $0.to == sink && $0.capacity == 0 }.count }
    }
}

/// How many ways the slots left can take the counts left: dynamic programming over the slots in order,
/// memoised by the counts left (which say how many slots are filled).
struct ArrangementCounter {
    let allowed: [[Int]]
    var memo = [[Int]: Double]()

    init(allowed: [[Int]]) { self.allowed = allowed }

    mutating func count(_ rest: [Int]) -> Double {
        let slot = allowed.count - rest.reduce(0, +)
        if slot == allowed.count { return 1 }
        if let known = memo[rest] { return known }
        var total = 0.0
        var next = rest
        for op in allowed[slot] where rest[op] > 0 {
            next[op] -= 1
            total += count(next)
            next[op] += 1
        }
        memo[rest] = total
        return total
    }
}

/// A space's `ArrangementCounter`, shared by its copies and threads (a space is a value; its memo is a
/// cache, not part of its identity: every box is equal to every other).
final class ArrangementMemo: @unchecked Sendable, Hashable {
    private let lock = NSLock()
    private var counter: ArrangementCounter

    init(allowed: [[Int]]) { counter = ArrangementCounter(allowed: allowed) }

    func count(_ rest: [Int]) -> Double { lock.withLock { counter.count(rest) } }

    static func == (a: ArrangementMemo, b: ArrangementMemo) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
