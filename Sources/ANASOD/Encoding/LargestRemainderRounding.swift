/// Rounds m ∈ R^k_{≥0} with Σ m = N to the nearest grid point {n ∈ Z^k_{≥0} : Σ n = N} by the
/// largest-remainder (Hamilton) method (Wan et al., arXiv 2111.04670, §3.2, the rounding decoder).
///
/// - floor every component, s_i = m_i − ⌊m_i⌋;
/// - g = N − Σ ⌊m_i⌋ units remain (an integer in 0…k−1);
/// - add one to the g components with the largest s_i. **Ties** are broken by the lower index first,
///   so the result is a deterministic function of m.
///
/// The result minimises the Euclidean (and L1 and L∞) distance to m among grid points.
/// Preconditions (programmer errors): `total >= 0`, every m_i finite and `>= 0`, and Σ m within
/// 1e-6·max(1, N) of N.
public func largestRemainderRounding(_ m: [Double], total: Int) -> [Int] {
    precondition(total >= 0, "rounding needs a non-negative total, got \(total)")
    precondition(!m.isEmpty, "rounding needs at least one component")
    var sum = 0.0
    for x in m {
        precondition(x.isFinite && x >= 0, "rounding needs finite non-negative components, got \(x)")
        sum += x
    }
    precondition(abs(sum - Double(total)) <= 1e-6 * max(1, Double(total)),
                 "rounding needs components summing to \(total), got \(sum)")

    var floors = m.map { Int($0.rounded(.down)) }
    // Σ⌊m_i⌋ ≤ Σ m ≤ N + ε, so never more than N units are placed by flooring. When Σ m falls a hair
    // short of N (components like 0.99999999), up to k units remain and each goes to one component.
    let remaining = total - floors.reduce(0, +)
    assert(remaining >= 0 && remaining <= m.count)
    if remaining == 0 { return floors }
    let order = m.indices.sorted { a, b in
        let fa = m[a] - Double(floors[a])
        let fb = m[b] - Double(floors[b])
        return fa != fb ? fa > fb : a < b
    }
    for i in order.prefix(remaining) {
        floors[i] += 1
    }
    return floors
}
