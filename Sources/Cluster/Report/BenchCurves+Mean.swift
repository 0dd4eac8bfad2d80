import Foundation

/// The mean curves of `BenchCurves` (the paper's Figure 3, arXiv 2111.04670): per (strategy, workers) group,
/// the mean over seeds and its standard error of a metric at x, GPU-seconds or simulated wall-clock seconds.
/// Each run is a step function: at x it holds the value of its last evaluation at or before x. A run counts
/// only from its first evaluation to its last: before it there is no value, and after it the run would have
/// gone on (a longer budget would have spent more), so it is left out rather than held.
extension BenchCurves {
    public enum Axis: Sendable {
        case gpuSeconds, wallClock

        func key(_ point: Point) -> Double {
            switch self {
            case .gpuSeconds: point.gpuSeconds
            case .wallClock: point.time
            }
        }
    }

    public enum Metric: Sendable {
        /// The best validation error seen so far (the paper's metric).
        case bestSeen
        /// The true mean error of the recommended cell (the honest metric).
        case recommendedTrueError

        func value(_ point: Point) -> Double {
            switch self {
            case .bestSeen: point.bestSeen
            case .recommendedTrueError: point.recommendedTrueError
            }
        }
    }

    /// The runs of one strategy with one number of workers: one curve.
    public struct Group: Hashable, Sendable {
        public var strategy: String
        public var workers: Int
    }

    public struct Statistic: Sendable, Equatable {
        public var mean: Double
        /// The standard error of the mean (sample SD / √runs; 0 for one run).
        public var standardError: Double
        /// The runs that count at this x.
        public var runs: Int
        /// The band's edges: mean ∓ one standard error.
        public var low: Double { mean - standardError }
        public var high: Double { mean + standardError }
    }

    /// The groups, in the order of their first run.
    public var groups: [Group] {
        var seen = [Group]()
        for run in runs where !seen.contains(Group(strategy: run.strategy, workers: run.workers)) {
            seen.append(Group(strategy: run.strategy, workers: run.workers))
        }
        return seen
    }

    public func runs(in group: Group) -> [Run] {
        runs.filter { $0.strategy == group.strategy && $0.workers == group.workers }
    }

    /// The value of `run` at `x`: its last point with key ≤ x; nil before its first point and after its last.
    static func value(_ run: Run, _ metric: Metric, at x: Double, along axis: Axis) -> Double? {
        guard let first = run.points.first, let last = run.points.last,
            axis.key(first) <= x, x <= axis.key(last)
        else { return nil }
        // Keys never go back: the last point with key ≤ x by bisection.
        var lo = 0, hi = run.points.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if axis.key(run.points[mid]) <= x { lo = mid } else { hi = mid - 1 }
        }
        return metric.value(run.points[lo])
    }

    /// The mean and standard error over the group's runs that count at `x`; nil when none does.
    public func statistic(of metric: Metric, in group: Group, at x: Double, along axis: Axis) -> Statistic? {
        let values = runs(in: group).compactMap { Self.value($0, metric, at: x, along: axis) }
        guard !values.isEmpty else { return nil }
        let n = Double(values.count), mean = values.reduce(0, +) / n
        guard values.count > 1 else { return Statistic(mean: mean, standardError: 0, runs: 1) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
        return Statistic(mean: mean, standardError: (variance / n).squareRoot(), runs: values.count)
    }

    /// From the smallest first-evaluation x of `groups`' runs to the largest common end: the largest, over
    /// the groups, of the x that every run of the group reached. Nil without runs or positive x.
    public func range(along axis: Axis, of groups: [Group]) -> ClosedRange<Double>? {
        let firsts = groups.flatMap { runs(in: $0).compactMap { $0.points.first.map(axis.key) } }.filter { $0 > 0 }
        let ends = groups.compactMap { runs(in: $0).compactMap { $0.points.last.map(axis.key) }.min() }
        guard let lo = firsts.min(), let hi = ends.max() else { return nil }
        return hi > lo ? lo...hi : lo...(lo * 10)
    }

    /// Where every run of `group` counts: from the last of their first evaluations to the first of their
    /// ends; nil when there is no such x.
    public func everyRunCounts(in group: Group, along axis: Axis) -> ClosedRange<Double>? {
        let mine = runs(in: group)
        guard let start = mine.compactMap({ $0.points.first.map(axis.key) }).max(),
            let end = mine.compactMap({ $0.points.last.map(axis.key) }).min(), start <= end
        else { return nil }
        return start...end
    }

    /// `count` points from `range`'s lower to its upper bound, evenly spaced in log x (both bounds > 0).
    public static func logGrid(_ range: ClosedRange<Double>, count: Int) -> [Double] {
        precondition(range.lowerBound > 0 && count >= 2, "a log grid needs x > 0 and two points")
        let a = log10(range.lowerBound), b = log10(range.upperBound)
        return (0..<count).map { i in
            i == 0
                ? range.lowerBound
                : i == count - 1 ? range.upperBound : pow(10, a + (b - a) * Double(i) / Double(count - 1))
        }
    }

    /// The group's statistic at each x of `grid` where some run counts.
    public func curve(of metric: Metric, in group: Group, along axis: Axis, at grid: [Double])
        -> [(x: Double, statistic: Statistic)]
    {
        grid.compactMap { x in statistic(of: metric, in: group, at: x, along: axis).map { (x, $0) } }
    }
}
