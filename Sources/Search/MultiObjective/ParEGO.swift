import ANASOD
import Foundation

/// Several objectives at once (issue 30), by ParEGO's random scalarisations (Knowles 2006): each propose call
/// draws weights λ on the simplex, turns every result into one value, the augmented Chebyshev
/// `max_i λ_i f̃_i + ρ Σ_i λ_i f̃_i` of its objectives normalised to [0, 1] over the results so far, and lets
/// the inner single-objective strategy (ANASOD-BO, or a baseline) propose on those values, asynchronously
/// and in batches as it always does. Over the calls the weights sweep the front.
///
/// The first objective is the observation's value (the validation error); the others are measures of the cell
/// known before training (parameters, FLOPs, a benchmark's latency), then measures each result carries
/// (`Observation.measured`: the latency a worker measured). A result without one of those has no place on the
/// scale: the inner strategy sees it as a cell that gave no result. The inner strategy is rebuilt and its
/// history replayed with the call's values at each call, so the state stays a pure function of the events
/// and the seed.
public struct ParEGO: SearchStrategy {
    public let name: String
    /// The objectives after the first known before training, by name.
    public let measures: [(name: String, measure: Feasibility.Measure)]
    /// The objectives after those that each result carries (`Observation.measured`), by name.
    public let measured: [String]
    let seed: UInt64
    let makeInner: @Sendable () throws -> any SearchStrategy
    var inner: any SearchStrategy
    var feasibility = Feasibility.unconstrained
    var events = [StrategyEvent]()
    var calls = 0
    var notes = [String]()
    /// ρ, the weight of the sum that keeps weakly dominated points from tying.
    static let augmentation = 0.05

    /// How each objective is put on [0, 1] before the weights apply.
    public enum Scale: String, Sendable, CaseIterable {
        /// From the least to the greatest value among the results (Knowles 2006).
        case range
        /// From the least value to the median of the results, values above it held at 1: a few degenerate
        /// cells (an error near 90 %) no longer squeeze the useful part of the scale.
        case median
    }
    public var scale = Scale.median

    /// - Throws: what making the inner strategy throws.
    public init(name: String, seed: UInt64, measures: [(name: String, measure: Feasibility.Measure)], measured: [String] = [],
                inner: @escaping @Sendable () throws -> any SearchStrategy) throws {
        self.name = name
        self.seed = seed
        self.measures = measures
        self.measured = measured
        makeInner = inner
        self.inner = try inner()
    }

    /// Every objective of a result whose first objective is `value`; nil when it lacks a measured one (or carries
    /// one that is not a finite number).
    public func objectives(_ o: Observation, value: Double) -> [Double]? {
        var out = [value] + measures.map { $0.measure.value(o.architecture) }
        for name in measured {
            guard let v = o.measured[name], v.isFinite else { return nil }
            out.append(v)
        }
        return out
    }

    /// The weights of propose call `call`: uniform on the simplex (normalised exponentials), seeded.
    public func weights(call: Int) -> [Double] {
        var rng = SeededGenerator(seed: seed, stream: 0x9A4E_6000 &+ UInt64(call))
        let draws = (0...(measures.count + measured.count)).map { _ in -log(max(rng.nextUniform(), 1e-300)) }
        let total = draws.reduce(0, +)
        return draws.map { $0 / total }
    }

    /// The scalarised value of every successful observation of a cell trained to the end under `lambda`, by
    /// event index (cells early stopping stopped have no error on the scale the others are normalised on).
    func scalarised(_ lambda: [Double]) -> [Int: Double] {
        var vectors = [(Int, [Double])]()
        for (i, event) in events.enumerated() {
            guard case .observed(let o) = event, o.stoppedAtEpoch == nil, let v = o.value, v.isFinite,
                  let vector = objectives(o, value: v) else { continue }
            vectors.append((i, vector))
        }
        guard let first = vectors.first?.1 else { return [:] }
        var low = first, high = first
        for (_, v) in vectors {
            for k in v.indices {
                low[k] = min(low[k], v[k])
                high[k] = max(high[k], v[k])
            }
        }
        if scale == .median {
            for k in low.indices {
                let sorted = vectors.map { $0.1[k] }.sorted()
                high[k] = sorted[sorted.count / 2]
            }
        }
        var out = [Int: Double]()
        for (i, v) in vectors {
            let f = v.indices.map { high[$0] > low[$0] ? min((v[$0] - low[$0]) / (high[$0] - low[$0]), 1) : 0 }
            let weighted = zip(lambda, f).map { $0 * $1 }
            out[i] = weighted.max()! + Self.augmentation * weighted.reduce(0, +)
        }
        return out
    }

    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        let values = scalarised(weights(call: calls))
        do {
            var fresh = try makeInner()
            if feasibility.isActive { fresh.constrain(to: feasibility) }
            for (i, event) in events.enumerated() {
                switch event {
                case .proposed(let proposals): fresh.restore(proposed: proposals)
                case .observed(var o):
                    // A stopped cell's error is not on the full-training scale of the others: the inner strategy
                    // sees it as a cell that gave no result (it proposes it no more).
                    o.value = values[i]
                    o.stoppedAtEpoch = nil
                    o.rungErrors = [:]
                    fresh.observe(o)
                }
            }
            inner = fresh
        } catch {
            // Making the inner strategy is deterministic: this is not expected. Nothing is proposed rather than
            // cells from a strategy that has not seen the history.
            notes.append("\(name): the inner strategy could not be made again (\(error)); this call proposes nothing")
            events.append(.proposed([]))
            calls += 1
            return []
        }
        let out = inner.propose(count: count, pending: pending)
        events.append(.proposed(out))
        calls += 1
        return out
    }

    public mutating func restore(proposed proposals: [Proposal]) {
        events.append(.proposed(proposals))
        calls += 1
    }

    public mutating func observe(_ observation: Observation) {
        events.append(.observed(observation))
    }

    public mutating func takeNotes() -> [String] {
        defer { notes = [] }
        return notes + inner.takeNotes()
    }

    public mutating func constrain(to feasibility: Feasibility) {
        self.feasibility = feasibility
        inner.constrain(to: feasibility)
    }

    /// The cell with the lowest first objective (the validation error) among the results: one point of the
    /// front; `front()` gives all of it.
    public mutating func recommendation() -> Recommendation? {
        var best: (Architecture, Double)?
        for case .observed(let o) in events {
            guard o.stoppedAtEpoch == nil, let v = o.value, v.isFinite, feasibility.outcomeViolations(o.measured).isEmpty else { continue }
            if best == nil || v < best!.1 { best = (o.architecture, v) }
        }
        return best.map { Recommendation(architecture: $0.0, estimate: $0.1, observations: 1) }
    }

    /// The results on the Pareto front: each cell's objectives, the first its observed value.
    public func front() -> [(architecture: Architecture, objectives: [Double])] {
        var points = [(Architecture, [Double])]()
        for case .observed(let o) in events {
            guard o.stoppedAtEpoch == nil, let v = o.value, v.isFinite, feasibility.outcomeViolations(o.measured).isEmpty,
                  let vector = objectives(o, value: v) else { continue }
            points.append((o.architecture, vector))
        }
        return ParetoFront.members(points.map(\.1)).map { (points[$0].0, points[$0].1) }
    }
}
