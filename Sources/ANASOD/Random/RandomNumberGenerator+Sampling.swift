import Foundation

/// Sampling helpers with fixed, documented algorithms, so that a `SeededGenerator` gives the same draws
/// everywhere (given the same `log`/`sqrt` from the C library, which are correctly rounded on glibc).
extension RandomNumberGenerator {
    /// A uniform double in [0, 1): the top 53 bits of one `next()`.
    @inlinable
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform double in the open interval (0, 1), safe for `log`.
    @inlinable
    public mutating func nextOpenUniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// A uniform integer in `0..<bound`, unbiased (Lemire's multiply-and-reject, 2019).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let n = UInt64(bound)
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold {
                m = next().multipliedFullWidth(by: n)
            }
        }
        return Int(m.high)
    }

    /// A standard normal draw by Marsaglia's polar method (the second variate of each pair is discarded,
    /// so the generator is the only state).
    public mutating func nextNormal() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * Foundation.log(s) / s).squareRoot()
            }
        }
    }

    /// The natural log of a Gamma(shape, 1) draw, by Marsaglia & Tsang (2000); for shape < 1 the
    /// boost Gamma(a) = Gamma(a + 1) · U^(1/a) is applied in log space, so tiny shapes do not underflow.
    public mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "Gamma shape must be positive and finite, got \(shape)")
        if shape < 1 {
            let boost = Foundation.log(nextOpenUniform()) / shape
            return nextLogGamma(shape: shape + 1) + boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextOpenUniform()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 || Foundation.log(u) < 0.5 * x2 + d * (1 - v + Foundation.log(v)) {
                return Foundation.log(d) + Foundation.log(v)
            }
        }
    }

    /// A Gamma(shape, 1) draw (Marsaglia & Tsang, 2000). Mean `shape`, variance `shape`.
    public mutating func nextGamma(shape: Double) -> Double {
        Foundation.exp(nextLogGamma(shape: shape))
    }

    /// A Dirichlet(α) draw: independent Gamma(α_i) draws, normalised (in log space, so that small α
    /// still gives a point on the simplex rather than 0/0).
    public mutating func nextDirichlet(_ alpha: [Double]) -> [Double] {
        precondition(!alpha.isEmpty, "Dirichlet needs at least one concentration")
        var logs = [Double]()
        logs.reserveCapacity(alpha.count)
        for a in alpha { logs.append(nextLogGamma(shape: a)) }
        let top = logs.max()!
        var sum = 0.0
        for i in logs.indices {
            logs[i] = Foundation.exp(logs[i] - top)
            sum += logs[i]
        }
        return logs.map { $0 / sum }
    }

    /// An index drawn with probability proportional to `weights` (inverse CDF over one uniform).
    /// Weights must be finite and non-negative with a positive sum.
    public mutating func nextCategorical(_ weights: [Double]) -> Int {
        var total = 0.0
        for w in weights {
            precondition(w >= 0 && w.isFinite, "categorical weights must be finite and non-negative")
            total += w
        }
        precondition(total > 0, "categorical weights must not all be zero")
        let target = nextUniform() * total
        var cumulative = 0.0
        var last = 0
        for (i, w) in weights.enumerated() where w > 0 {
            cumulative += w
            last = i
            if target < cumulative { return i }
        }
        return last  // rounding left target at the very top: the last positive weight
    }

    /// Shuffles `array` uniformly in place (Fisher–Yates, from the end, with `nextInt(below:)`).
    public mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            array.swapAt(i, j)
            i -= 1
        }
    }

    /// A uniformly random permutation of `0..<n`.
    public mutating func nextPermutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }
}
