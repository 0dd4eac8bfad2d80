/// Training data of a GP: n distinct input points (`n × d`, row-major), each the mean of m_i ≥ 1 observed
/// targets.
///
/// Replicates are folded exactly: m observations y_1…y_m at one input are, for the latent f, the same as
/// one observation ȳ with noise σ_n²/m, and the within-group residuals contribute a term to the marginal
/// likelihood that does not depend on f (see `GaussianProcess.logMarginalLikelihood`). ANASOD's encoding
/// GP sees many cells per encoding (NB201: 15,625 cells on 210 points), so this keeps its cost at the
/// number of distinct encodings.
public struct GPData: Sendable {
    public let dimension: Int
    /// `n × d`, row-major.
    public private(set) var inputs: [Double]
    /// ȳ_i.
    public private(set) var targets: [Double]
    /// m_i.
    public private(set) var replicates: [Int]
    /// Σ_i Σ_j (y_ij − ȳ_i)².
    public private(set) var withinSumOfSquares: Double

    public var count: Int { targets.count }

    /// Groups identical rows of `points` and averages their targets.
    /// - Throws: `BayesOptError.invalidData` for mismatched shapes or non-finite values.
    public init(points: [[Double]], targets y: [Double]) throws {
        guard points.count == y.count else {
            throw BayesOptError(.invalidData, "\(points.count) inputs but \(y.count) targets")
        }
        let d = points.first?.count ?? 0
        var index = [[Double]: Int]()
        var sums = [Double](), sumSquares = [Double](), counts = [Int](), rows = [[Double]]()
        for (x, value) in zip(points, y) {
            guard x.count == d else { throw BayesOptError(.invalidData, "inputs of different dimensions (\(x.count) vs \(d))") }
            guard value.isFinite, x.allSatisfy(\.isFinite) else {
                throw BayesOptError(.invalidData, "a GP target or input is not finite (\(value))")
            }
            if let i = index[x] {
                sums[i] += value
                sumSquares[i] += value * value
                counts[i] += 1
            } else {
                index[x] = rows.count
                rows.append(x)
                sums.append(value)
                sumSquares.append(value * value)
                counts.append(1)
            }
        }
        dimension = d
        inputs = rows.flatMap { $0 }
        targets = zip(sums, counts).map { $0 / Double($1) }
        replicates = counts
        var ss = 0.0
        for i in counts.indices { ss += max(0, sumSquares[i] - sums[i] * sums[i] / Double(counts[i])) }
        withinSumOfSquares = ss
    }

    /// Row i of the inputs.
    public func point(_ i: Int) -> ArraySlice<Double> { inputs[(i * dimension)..<((i + 1) * dimension)] }
}
