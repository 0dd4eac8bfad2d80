/// The cells that share an encoding: how many there are and, where few, all of them.
extension SearchSpace {
    /// The number of architectures whose count vectors are `counts`: per cell type the multinomial
    /// N! / Π n_i! times the connectivity patterns, multiplied over cell types (a Double: DARTS overflows Int).
    public func architectureCount(counts: [[Int]]) -> Double {
        var total = 1.0
        for (t, n) in counts.enumerated() {
            total *= arrangementCount(n, cellType: t) * connectivityPatterns
        }
        return total
    }

    /// Every architecture with count vectors `counts`, in lexicographic order of the op sequences, for
    /// spaces with fixed connectivity; nil when the space searches connectivity or there are more than
    /// `limit`.
    public func allArchitectures(counts: [[Int]], limit: Int = 50_000) -> [Architecture]? {
        let count = architectureCount(counts: counts)
        guard !searchesConnectivity, count <= Double(limit) else { return nil }
        guard count > 0 else { return [] }
        var perCell = [[[Int]]]()
        for (t, n) in counts.enumerated() {
            // With restricted slots, only the sequences that respect them (slot by slot, dead ends pruned).
            perCell.append(slotSpace.map { $0.allowedArrangements(n, cellType: t) } ?? distinctArrangements(n))
        }
        var result = [Architecture]()
        var indices = [Int](repeating: 0, count: counts.count)
        var rng = SeededGenerator(seed: 0)  // fixed connectivity: drawInputs ignores it
        let inputs = drawInputs(using: &rng)
        while true {
            result.append(Architecture(cells: indices.enumerated().map { Cell(operations: perCell[$0.offset][$0.element], inputs: inputs) }))
            var t = counts.count - 1
            while t >= 0 {
                indices[t] += 1
                if indices[t] < perCell[t].count { break }
                indices[t] = 0
                t -= 1
            }
            if t < 0 { return result }
        }
    }
}

/// N! / Π n_i!.
public func multinomial(_ n: [Int]) -> Double {
    var total = 0
    var value = 1.0
    for c in n {
        for i in 0..<c {
            total += 1
            value = value * Double(total) / Double(i + 1)
        }
    }
    return value.rounded()
}

/// Every distinct sequence with `counts[i]` copies of i, in lexicographic order.
public func distinctArrangements(_ counts: [Int]) -> [[Int]] {
    var left = counts
    let length = counts.reduce(0, +)
    var current = [Int]()
    current.reserveCapacity(length)
    var result = [[Int]]()
    func extend() {
        if current.count == length {
            result.append(current)
            return
        }
        for op in left.indices where left[op] > 0 {
            left[op] -= 1
            current.append(op)
            extend()
            current.removeLast()
            left[op] += 1
        }
    }
    extend()
    return result
}
