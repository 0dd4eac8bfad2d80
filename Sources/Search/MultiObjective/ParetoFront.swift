/// Pareto dominance and hypervolume for minimised objectives (issue 30).
public enum ParetoFront {
    /// Whether `a` dominates `b`: no worse in every objective and better in one.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        var better = false
        for (x, y) in zip(a, b) {
            if x > y { return false }
            if x < y { better = true }
        }
        return better
    }

    /// The indices of the points no other point dominates, in input order (the first of equal points only).
    public static func members(_ points: [[Double]]) -> [Int] {
        var out = [Int]()
        for (i, p) in points.enumerated() where p.allSatisfy(\.isFinite) {
            var dominated = false
            for (j, q) in points.enumerated() where j != i && q.allSatisfy(\.isFinite) {
                if dominates(q, p) || (q == p && j < i) {
                    dominated = true
                    break
                }
            }
            if !dominated { out.append(i) }
        }
        return out
    }

    /// The non-dominated points seen so far, and their hypervolume, updated one point at a time: a point the front
    /// already dominates (or equals) leaves both as they are, so a long study costs a volume only per front change.
    public struct Running: Sendable {
        public let reference: [Double]
        public private(set) var front = [[Double]]()
        public private(set) var volume = 0.0

        public init(reference: [Double]) { self.reference = reference }

        public mutating func add(_ point: [Double]) {
            guard point.allSatisfy(\.isFinite), !front.contains(where: { $0 == point || dominates($0, point) }) else { return }
            front.removeAll { dominates(point, $0) }
            front.append(point)
            volume = hypervolume(front, reference: reference)
        }
    }

    /// The volume dominated by `points` and bounded by `reference` (points not strictly below the reference in
    /// every objective add nothing). Exact: a sweep in two objectives, slices along the last one above.
    public static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
        let inside = points.filter { p in p.count == reference.count && zip(p, reference).allSatisfy { $0 < $1 } }
        guard !inside.isEmpty else { return 0 }
        return volume(inside, reference)
    }

    static func volume(_ points: [[Double]], _ reference: [Double]) -> Double {
        let d = reference.count
        if d == 1 { return reference[0] - points.map { $0[0] }.min()! }
        if d == 2 {
            let sorted = points.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
            var total = 0.0
            var floor = reference[1]
            for p in sorted where p[1] < floor {
                total += (reference[0] - p[0]) * (floor - p[1])
                floor = p[1]
            }
            return total
        }
        // Slices between consecutive values of the last objective: the points at or below a slice's bottom,
        // projected onto the other objectives, dominate its whole height.
        let sorted = points.sorted { $0[d - 1] < $1[d - 1] }
        var total = 0.0
        for (k, p) in sorted.enumerated() {
            let top = k + 1 < sorted.count ? sorted[k + 1][d - 1] : reference[d - 1]
            guard top > p[d - 1] else { continue }
            let below = sorted[...k].map { Array($0.prefix(d - 1)) }
            total += volume(below, Array(reference.prefix(d - 1))) * (top - p[d - 1])
        }
        return total
    }
}
