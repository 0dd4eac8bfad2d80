import ANASOD
import Foundation
import Search

/// The study strategy's own surrogate at the study's end (`SurrogateView`): the GP the strategy proposed
/// with, with its warping, refit schedule and hyperparameters, rebuilt from the journal as a resume rebuilds
/// it (`ReplayedStrategy`). Its predictions are on the objective's scale, best means first: over the encoding
/// grid for an encoding GP on a single-cell space such as NB201 (every operation count), over the
/// distinct encodings observed in other spaces, and over the evaluated cells for a GP on cells.
public struct GPView: Sendable {
    public struct Row: Sendable {
        /// The encoding (concatenated operation shares) of the row, or of its cell.
        public var encoding: [Double]
        /// The cell, for a GP on cells (nil for an encoding GP).
        public var architecture: String?
        /// The posterior mean μ and μ ± 2σ, mapped back to the objective's scale (`SurrogateView.Prediction`).
        public var mean: Double
        public var lower: Double
        public var upper: Double
        /// The mean observed error at this encoding (or cell), if it was evaluated.
        public var observed: Double?
    }

    /// Why there is no view: the report says it where the plot would be.
    public enum Unavailable: Error, Equatable, CustomStringConvertible {
        /// The study's strategy searches without a surrogate model.
        case noSurrogate(strategy: String)
        /// The strategy has a surrogate but none to show yet, or it could not be fitted.
        case surrogate(SurrogateView.Unavailable)
        /// The strategy could not be rebuilt from the journal: why.
        case noStrategy(String)

        public var description: String {
            switch self {
            case let .noSurrogate(strategy):
                "the study's strategy, \(strategy), searches without a surrogate model, so there is no GP of its own to show"
            case let .surrogate(reason): "\(reason)"
            case let .noStrategy(reason): "the study's strategy could not be rebuilt from the journal: \(reason)"
            }
        }
    }

    /// What the rows show (the strategy, its GP, kernel, warping, data and hyperparameters).
    public var surrogate: SurrogateView
    /// Best means first (at most `top` of them when a limit was given).
    public var rows: [Row]
    /// The inputs the rows were ranked among.
    public var candidates: Int
    /// Whether they were the whole encoding grid (else the encodings or cells evaluated).
    public var wholeGrid: Bool

    /// - Throws: why there is no view (`Unavailable`).
    public init(history: StudyHistory, strategy: any SearchStrategy, space: any SearchSpace, top: Int? = nil) throws(Unavailable) {
        guard let viewing = strategy as? any SurrogateViewing else { throw .noSurrogate(strategy: strategy.name) }
        let view: SurrogateView
        do {
            view = try viewing.surrogateView()
        } catch {
            throw .surrogate(error)
        }
        self.init(history: history, surrogate: view, space: space, top: top)
    }

    /// The rows of `surrogate`, the strategy's view of `history`'s study in `space`.
    public init(history: StudyHistory, surrogate: SurrogateView, space: any SearchSpace, top: Int? = nil) {
        self.surrogate = surrogate
        var observed = [[Double]: [Double]]()
        var rows = [Row]()
        switch surrogate.input {
        case .encoding:
            for r in history.trained { observed[r.encoding.flatMap { $0 }, default: []].append(r.metrics.validationError) }
            var points = Array(observed.keys)
            wholeGrid = false
            let d = space.operationCount, slots = space.slotsPerCell
            if space.cellTypes.count == 1, d <= 8 {
                let grid = Self.compositions(total: slots, parts: d).map { $0.map { Double($0) / Double(slots) } }
                if grid.count <= 20_000 {
                    points = grid
                    wholeGrid = true
                }
            }
            rows = zip(points, surrogate.predict(points)).map { x, p in
                Row(encoding: x, architecture: nil, mean: p.mean, lower: p.lower, upper: p.upper,
                    observed: observed[x].map { $0.reduce(0, +) / Double($0.count) })
            }
        case .cell:
            var cells = [String: (architecture: Architecture, encoding: [Double])]()
            var order = [String]()
            for r in history.trained {
                // Every cell parses: the strategy's replay parsed them all (`CoordinatorState.restore`).
                guard let a = try? space.parse(r.architecture) else { continue }
                if cells[r.architecture] == nil {
                    cells[r.architecture] = (a, r.encoding.flatMap { $0 })
                    order.append(r.architecture)
                }
            }
            var byCell = [String: [Double]]()
            for r in history.trained { byCell[r.architecture, default: []].append(r.metrics.validationError) }
            let predictions = surrogate.predict(architectures: order.map { cells[$0]!.architecture })
            rows = zip(order, predictions).map { text, p in
                Row(encoding: cells[text]!.encoding, architecture: text, mean: p.mean, lower: p.lower, upper: p.upper,
                    observed: byCell[text].map { $0.reduce(0, +) / Double($0.count) })
            }
            wholeGrid = false
        }
        candidates = rows.count
        rows.sort { $0.mean != $1.mean ? $0.mean < $1.mean : $0.encoding.lexicographicallyPrecedes($1.encoding) }
        self.rows = top.map { Array(rows.prefix($0)) } ?? rows
    }

    /// Every way of writing `total` as an ordered sum of `parts` non-negative integers.
    static func compositions(total: Int, parts: Int) -> [[Int]] {
        guard parts > 1 else { return [[total]] }
        return (0...total).flatMap { first in compositions(total: total - first, parts: parts - 1).map { [first] + $0 } }
    }
}
