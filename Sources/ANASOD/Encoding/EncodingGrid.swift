/// The grid of valid encodings: every count vector n ∈ Z^k_{≥0} with Σ n = N
/// (Wan et al., arXiv 2111.04670, §3.1). There are C(N+k−1, k−1) of them.
public enum EncodingGrid {
    /// All count vectors of `operations` non-negative integers summing to `slots`, in lexicographic
    /// order from `[N, 0, …, 0]` down to `[0, …, 0, N]`.
    public static func allCounts(slots: Int, operations k: Int) -> [[Int]] {
        precondition(slots >= 0 && k >= 1, "a grid needs N >= 0 slots and k >= 1 operations")
        var result = [[Int]]()
        result.reserveCapacity(size(slots: slots, operations: k))
        var current = [Int](repeating: 0, count: k)
        func fill(_ i: Int, _ left: Int) {
            if i == k - 1 {
                current[i] = left
                result.append(current)
                return
            }
            var c = left
            while c >= 0 {
                current[i] = c
                fill(i + 1, left - c)
                c -= 1
            }
        }
        fill(0, slots)
        return result
    }

    /// C(N+k−1, k−1): the number of grid points.
    public static func size(slots: Int, operations k: Int) -> Int {
        binomial(slots + k - 1, k - 1)
    }

    /// The binomial coefficient C(n, r), computed exactly in integers.
    public static func binomial(_ n: Int, _ r: Int) -> Int {
        guard r >= 0 && r <= n else { return 0 }
        let r = min(r, n - r)
        var value = 1
        for i in 0..<r {
            value = value * (n - i) / (i + 1)
        }
        return value
    }
}
