/// A 2-D picture of encodings on the simplex: their first two principal components. The projection is
/// linear, so encodings near each other stay near (distances shrink, never grow), and the axes are the
/// directions in which the search's encodings differ most.
public struct SimplexProjection: Sendable {
    /// Unit axes (d-vectors) and the mean they are taken about.
    public let axes: [[Double]]
    public let mean: [Double]
    /// The share of the encodings' variance each axis explains.
    public let explained: [Double]

    /// - Parameter points: equal-length vectors (at least one).
    public init(_ points: [[Double]]) {
        let d = points.first?.count ?? 0, n = Double(max(1, points.count))
        mean = (0..<d).map { j in points.reduce(0) { $0 + $1[j] } / n }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for p in points {
            for i in 0..<d {
                for j in 0..<d { covariance[i][j] += (p[i] - mean[i]) * (p[j] - mean[j]) / n }
            }
        }
        let total = (0..<d).reduce(0) { $0 + covariance[$1][$1] }
        var axes = [[Double]](), explained = [Double]()
        for component in 0..<min(2, d) {
            // Power iteration from a fixed start (deterministic), then deflation.
            var v = (0..<d).map { Double(($0 + component) % d + 1) }
            var lambda = 0.0
            for _ in 0..<300 {
                var w = (0..<d).map { i in (0..<d).reduce(0) { $0 + covariance[i][$1] * v[$1] } }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-15 else { break }
                w = w.map { $0 / norm }
                lambda = norm
                v = w
            }
            let normV = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / max(normV, 1e-300) }
            // A fixed sign: the largest component positive.
            if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
            axes.append(v)
            explained.append(total > 0 ? lambda / total : 0)
            for i in 0..<d {
                for j in 0..<d { covariance[i][j] -= lambda * v[i] * v[j] }
            }
        }
        while axes.count < 2 { axes.append([Double](repeating: 0, count: d)); explained.append(0) }
        self.axes = axes
        self.explained = explained
    }

    public func project(_ p: [Double]) -> (x: Double, y: Double) {
        func dot(_ a: [Double]) -> Double { zip(a, zip(p, mean)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) } }
        return (dot(axes[0]), dot(axes[1]))
    }
}
