/// Limited-memory BFGS minimisation (Nocedal & Wright 2006, Alg. 7.4–7.5) with a backtracking Armijo line
/// search. `objective` returns nil where the function is undefined (e.g. a failed Cholesky); the line
/// search then shrinks the step.
public struct LBFGS: Sendable {
    public var memory = 8
    public var maxIterations = 60
    /// Stop when the gradient's max-norm falls below this.
    public var gradientTolerance = 1e-5
    /// Stop when f improves by less than this (relative) in one iteration.
    public var relativeTolerance = 1e-9

    public init(maxIterations: Int = 60) {
        self.maxIterations = maxIterations
    }

    /// Minimises `objective` from `start`; returns the best point and value found.
    public func minimize(from start: [Double],
                         objective: ([Double]) -> (value: Double, gradient: [Double])?) -> (point: [Double], value: Double) {
        var x = start
        guard var current = objective(x), current.value.isFinite else { return (start, .infinity) }
        var s = [[Double]](), y = [[Double]](), rho = [Double]()
        for _ in 0..<maxIterations {
            let g = current.gradient
            if g.map(abs).max() ?? 0 < gradientTolerance { break }
            // Two-loop recursion: direction = −H g.
            var q = g
            var a = [Double](repeating: 0, count: s.count)
            for k in stride(from: s.count - 1, through: 0, by: -1) {
                a[k] = rho[k] * dot(s[k], q)
                for i in q.indices { q[i] -= a[k] * y[k][i] }
            }
            if let last = s.indices.last {
                let gamma = dot(s[last], y[last]) / dot(y[last], y[last])
                for i in q.indices { q[i] *= gamma }
            } else {
                let norm = dot(g, g).squareRoot()
                for i in q.indices { q[i] /= max(norm, 1) }
            }
            for k in 0..<s.count {
                let b = rho[k] * dot(y[k], q)
                for i in q.indices { q[i] += s[k][i] * (a[k] - b) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, g)
            if slope >= 0 {  // not a descent direction: fall back to steepest descent
                direction = g.map { -$0 }
                slope = -dot(g, g)
                s.removeAll(); y.removeAll(); rho.removeAll()
            }
            var step = 1.0
            var accepted: (x: [Double], f: (value: Double, gradient: [Double]))?
            for _ in 0..<30 {
                let candidate = zip(x, direction).map { $0 + step * $1 }
                if let f = objective(candidate), f.value.isFinite, f.value <= current.value + 1e-4 * step * slope {
                    accepted = (candidate, f)
                    break
                }
                step *= 0.5
            }
            guard let next = accepted else { break }
            let sk = zip(next.x, x).map { $0 - $1 }
            let yk = zip(next.f.gradient, g).map { $0 - $1 }
            let sy = dot(sk, yk)
            let improvement = current.value - next.f.value
            x = next.x
            current = next.f
            if sy > 1e-12 {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            if improvement <= relativeTolerance * max(1, abs(current.value)) { break }
        }
        return (x, current.value)
    }
}

@inline(__always)
func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}
