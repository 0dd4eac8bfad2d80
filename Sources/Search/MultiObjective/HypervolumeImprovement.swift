import BayesOpt

/// The expected hypervolume improvement (EHVI) of a cell whose first objective (the error) is uncertain, normal
/// with mean μ and deviation σ under a GP, and whose other objectives are measures known before training
/// (parameters, FLOPs, a table's latency): closed form, no sampling (issue 30).
///
/// With the measures m known, the volume a point (y, m) adds to a front P under the reference r is
/// HVI(y) = ∫_{m ≤ t < r_m} max(0, h(t) − y) dt, where h(t) is the least error of the points of P whose measures
/// are at most t (r_error where there is none). h is constant on the boxes of the grid the front's measures draw,
/// so HVI(y) = Σ_boxes |box ∩ [m, r_m)| · max(0, h_box − y), and its expectation under y ~ N(μ, σ²) is the same
/// sum of expected improvements over the levels h_box: Σ_boxes |box ∩ [m, r_m)| · EI(h_box; μ, σ).
///
/// A batch adds each pick to the front at its predicted mean before the next (kriging believer, `believe`).
public struct HypervolumeImprovement: Sendable {
    /// A box of the grid: lower and upper corners in the measures, and the error level the front holds over it.
    struct Box: Sendable {
        var lower: [Double]
        var upper: [Double]
        var level: Double
    }

    /// The reference point: the error first, then the measures.
    public let reference: [Double]
    /// The front's points (error first), dominated ones left out.
    public private(set) var front: [[Double]]
    var boxes = [Box]()

    /// - Parameters:
    ///   - points: observed (or believed) points, error first, then one value per measure; dominated and
    ///     non-finite ones are ignored.
    ///   - reference: the reference point, as long as each point.
    public init(points: [[Double]], reference: [Double]) {
        precondition(reference.count >= 2, "an improvement in hypervolume needs an error and at least one measure")
        self.reference = reference
        front = ParetoFront.members(points).map { points[$0] }
        rebuild()
    }

    /// Adds a point to the front (a pending or just picked cell at its predicted error).
    public mutating func believe(_ point: [Double]) {
        guard point.count == reference.count, point.allSatisfy(\.isFinite),
              !front.contains(where: { $0 == point || ParetoFront.dominates($0, point) }) else { return }
        front.removeAll { ParetoFront.dominates(point, $0) }
        front.append(point)
        rebuild()
    }

    /// The grid: per measure, −∞, the front's values below the reference, and the reference; each box's level is
    /// the least error among the points at or below its lower corner, capped at the reference's.
    mutating func rebuild() {
        let k = reference.count - 1
        let inside = front.filter { p in zip(p, reference).allSatisfy { $0 < $1 } }
        var cuts = [[Double]]()
        for d in 0..<k {
            let values = Set(inside.map { $0[d + 1] }).sorted()
            cuts.append([-Double.infinity] + values + [reference[d + 1]])
        }
        boxes = []
        var index = [Int](repeating: 0, count: k)
        outer: while true {
            let lower = (0..<k).map { cuts[$0][index[$0]] }
            let upper = (0..<k).map { cuts[$0][index[$0] + 1] }
            var level = reference[0]
            for p in inside where (0..<k).allSatisfy({ p[$0 + 1] <= lower[$0] }) { level = min(level, p[0]) }
            boxes.append(Box(lower: lower, upper: upper, level: level))
            var d = 0
            while d < k {
                index[d] += 1
                if index[d] + 1 < cuts[d].count { continue outer }
                index[d] = 0
                d += 1
            }
            break
        }
    }

    /// The volume a point with error `error` (known) and measures `measures` adds.
    public func improvement(error: Double, measures: [Double]) -> Double {
        sum(measures) { level in max(0, level - error) }
    }

    /// The expected volume a point with error ~ N(mean, deviation²) and measures `measures` adds.
    public func expected(mean: Double, deviation: Double, measures: [Double]) -> Double {
        guard deviation > 0 else { return improvement(error: mean, measures: measures) }
        return sum(measures) { level in
            let z = (level - mean) / deviation
            return max(0, (level - mean) * NormalDistribution.cdf(z) + deviation * NormalDistribution.density(z))
        }
    }

    func sum(_ measures: [Double], _ gain: (Double) -> Double) -> Double {
        precondition(measures.count == reference.count - 1, "one value per measure")
        // A cell whose measure is unknown (NaN) or infinite adds nothing (rather than an infinite box).
        guard measures.allSatisfy(\.isFinite) else { return 0 }
        var total = 0.0
        for box in boxes {
            var volume = 1.0
            for d in measures.indices {
                let width = box.upper[d] - max(box.lower[d], measures[d])
                guard width > 0 else { volume = 0; break }
                volume *= width
            }
            if volume > 0 { total += volume * gain(box.level) }
        }
        return total
    }
}
