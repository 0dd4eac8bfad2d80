/// A point p~ on the k-simplex Δ^k: how often each of k operations appears in a cell, as fractions
/// (Wan et al., arXiv 2111.04670, §3: the "operation distribution" encoding).
///
/// Contract: `probabilities.count == k >= 1`, every component finite and `>= 0`, and the components sum
/// to 1. Construction from user data validates this and throws an `ANASODError` naming the offending
/// component; the stored components are renormalised by their sum, so the invariant holds to
/// floating-point precision afterwards.
public struct OperationDistribution: Hashable, Sendable, CustomStringConvertible {
    /// How far the components of an input may sum from 1 and still be accepted: 1e-6.
    public static let sumTolerance = 1e-6

    /// The components p~_1 … p~_k.
    public let probabilities: [Double]

    /// The number of operations k.
    public var count: Int { probabilities.count }

    /// Validates `probabilities` as a point of the simplex.
    /// - Throws: `ANASODError.Code.invalidDistribution` naming the component that is NaN, infinite or
    ///   negative, or the sum when it is off by more than `sumTolerance`.
    public init(_ probabilities: [Double]) throws {
        guard !probabilities.isEmpty else {
            throw ANASODError(.invalidDistribution, "an operation distribution needs at least one component")
        }
        var sum = 0.0
        for (i, p) in probabilities.enumerated() {
            guard p.isFinite else {
                throw ANASODError(.invalidDistribution, "component \(i) of the distribution is \(p), not a finite number")
            }
            guard p >= 0 else {
                throw ANASODError(.invalidDistribution, "component \(i) of the distribution is negative (\(p))")
            }
            sum += p
        }
        guard abs(sum - 1) <= Self.sumTolerance else {
            throw ANASODError(.invalidDistribution,
                              "the distribution's components sum to \(sum), not 1 (tolerance \(Self.sumTolerance))")
        }
        self.probabilities = probabilities.map { $0 / sum }
    }

    /// Parses a comma-separated list such as `0.2,0.2,0.1,0.5` and validates it.
    /// - Throws: `ANASODError.Code.invalidDistribution` for a token that is not a number, or as `init(_:)`.
    public init(parsing text: String, operations k: Int? = nil) throws {
        var values = [Double]()
        for (i, token) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = token.trimmingCharacters(in: " \t")
            guard let value = Double(trimmed) else {
                throw ANASODError(.invalidDistribution, "component \(i) of '\(text)' is not a number: '\(trimmed)'")
            }
            values.append(value)
        }
        if let k, values.count != k {
            throw ANASODError(.invalidDistribution, "the distribution '\(text)' has \(values.count) components; the search space has \(k) operations")
        }
        try self.init(values)
    }

    /// The encoding p~ = n / N of a cell with operation counts `counts` (N = Σ counts).
    /// - Throws: `ANASODError.Code.invalidCounts` for an empty list, a negative count or a zero total.
    public init(counts: [Int]) throws {
        guard !counts.isEmpty else { throw ANASODError(.invalidCounts, "no counts given") }
        if let i = counts.firstIndex(where: { $0 < 0 }) {
            throw ANASODError(.invalidCounts, "count \(i) is negative (\(counts[i]))")
        }
        let total = counts.reduce(0, +)
        guard total > 0 else { throw ANASODError(.invalidCounts, "the counts sum to zero") }
        self.probabilities = counts.map { Double($0) / Double(total) }
    }

    /// An already-validated point (internal use: results of Dirichlet draws, normalised counts).
    init(unchecked probabilities: [Double]) {
        self.probabilities = probabilities
    }

    /// The uniform distribution over k operations: the centre of the simplex.
    public static func uniform(_ k: Int) -> OperationDistribution {
        precondition(k >= 1, "a distribution needs at least one operation")
        return OperationDistribution(unchecked: Array(repeating: 1.0 / Double(k), count: k))
    }

    /// The nearest grid point for cells of `slots` slots: largest-remainder rounding of N·p~.
    public func counts(slots: Int) -> [Int] {
        largestRemainderRounding(probabilities.map { $0 * Double(slots) }, total: slots)
    }

    public var description: String {
        "[" + probabilities.map { formatFraction($0) }.joined(separator: ", ") + "]"
    }
}

/// Formats a fraction with up to 4 decimals, trailing zeros removed.
func formatFraction(_ x: Double) -> String {
    var s = String(Double((x * 10_000).rounded()) / 10_000)
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var sub = Substring(self)
        while let f = sub.first, set.contains(f) { sub.removeFirst() }
        while let l = sub.last, set.contains(l) { sub.removeLast() }
        return String(sub)
    }
}
