/// The encoding of an architecture: one operation distribution per cell type, concatenated
/// (Wan et al., arXiv 2111.04670, §3.1: spaces with normal and reduction cells use one simplex each).
public struct ArchitectureEncoding: Hashable, Sendable, CustomStringConvertible {
    /// One point of Δ^k per cell type, in the search space's cell-type order.
    public let parts: [OperationDistribution]

    public init(parts: [OperationDistribution]) {
        precondition(!parts.isEmpty, "an encoding needs at least one cell type")
        self.parts = parts
    }

    /// The encoding with `counts[t]` as the count vector of cell type t.
    /// - Throws: `ANASODError.Code.invalidCounts` for negative counts or a zero total.
    public init(counts: [[Int]]) throws {
        self.init(parts: try counts.map { try OperationDistribution(counts: $0) })
    }

    /// All components concatenated: a vector of (cell types × k) numbers, the GP's input.
    public var vector: [Double] { parts.flatMap(\.probabilities) }

    /// The nearest grid point for cells of `slots` slots, per cell type.
    public func counts(slots: Int) -> [[Int]] { parts.map { $0.counts(slots: slots) } }

    public var description: String {
        parts.count == 1 ? parts[0].description : parts.map(\.description).joined(separator: " ")
    }
}
