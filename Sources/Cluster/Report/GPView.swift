import ANASOD
import BayesOpt
import Foundation
import Trainer

/// The GP's view of a study at its end: a GP on the encodings (Matérn-5/2, hyperparameters by maximum
/// likelihood, targets standardised — the ANASOD-BO surrogate without its warping) fitted to every
/// result, and its posterior mean and standard deviation over the encoding grid (every operation count of
/// a single-cell space such as NB201; the distinct encodings observed otherwise), best means first.
public struct GPView: Sendable {
    public struct Row: Sendable {
        public var encoding: [Double]
        public var mean: Double
        public var sd: Double
        /// The mean observed error at this encoding, if it was evaluated.
        public var observed: Double?
    }

    /// Why there is no view: the report says it where the plot would be.
    public enum Unavailable: Error, Equatable, CustomStringConvertible {
        /// Fewer than 3 distinct encodings among the results (a GP on fewer says nothing).
        case tooFewEncodings(distinct: Int, results: Int)
        /// Results whose encodings differ in length (studies of different spaces in one journal).
        case mixedEncodings
        /// The GP could not be built on the results: what it threw.
        case fitFailed(String)

        public var description: String {
            switch self {
            case let .tooFewEncodings(distinct, results):
                "\(results) result(s) at \(distinct) distinct encoding(s); the GP needs at least 3"
            case .mixedEncodings: "the results' encodings differ in length"
            case let .fitFailed(error): "the GP could not be fitted to the results: \(error)"
            }
        }
    }

    public var rows: [Row]

    /// - Throws: why there is no view (`Unavailable`).
    public init(history: StudyHistory, slotsPerCell: Int?, top: Int = 20) throws(Unavailable) {
        let points = history.results.map { $0.encoding.flatMap { $0 } }
        let y = history.results.map(\.metrics.validationError)
        let distinct = Set(points).count
        guard distinct >= 3 else { throw .tooFewEncodings(distinct: distinct, results: points.count) }
        guard let d = points.first?.count, points.allSatisfy({ $0.count == d }) else { throw .mixedEncodings }
        let mean = y.reduce(0, +) / Double(y.count)
        let sd = max(1e-9, (y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)).squareRoot())
        let gp: GaussianProcess
        do {
            let data = try GPData(points: points, targets: y.map { ($0 - mean) / sd })
            var rng = SplitMix(state: 1)
            let hyper = HyperparameterFitter().fit(kernel: Matern52Kernel(), data: data, using: &rng)
            gp = try GaussianProcess(kernel: Matern52Kernel(), data: data, hyperparameters: hyper)
        } catch {
            throw .fitFailed("\(error)")
        }
        var observed = [[Double]: [Double]]()
        for (p, v) in zip(points, y) { observed[p, default: []].append(v) }
        let groups = history.results.first?.encoding.count ?? 1
        var candidates = Array(observed.keys)
        if groups == 1, let slots = slotsPerCell, slots > 0, d <= 8 {
            let grid = Self.compositions(total: slots, parts: d).map { $0.map { Double($0) / Double(slots) } }
            if grid.count <= 20_000 { candidates = grid }
        }
        rows = candidates.map { x in
            let p = gp.predict(x)
            let o = observed[x].map { $0.reduce(0, +) / Double($0.count) }
            return Row(encoding: x, mean: mean + sd * p.mean, sd: sd * max(0, p.variance).squareRoot(), observed: o)
        }
        .sorted { $0.mean != $1.mean ? $0.mean < $1.mean : $0.encoding.lexicographicallyPrecedes($1.encoding) }
        rows = Array(rows.prefix(top))
    }

    /// Every way of writing `total` as an ordered sum of `parts` non-negative integers.
    static func compositions(total: Int, parts: Int) -> [[Int]] {
        guard parts > 1 else { return [[total]] }
        return (0...total).flatMap { first in compositions(total: total - first, parts: parts - 1).map { [first] + $0 } }
    }
}
