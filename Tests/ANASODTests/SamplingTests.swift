@testable import ANASOD
import Foundation
import Testing

@Suite struct SamplingTests {
    @Test func sameSeedSameSequence() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        var c = SeededGenerator(seed: 8)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }

    /// Pins the algorithm: xoshiro256** seeded by SplitMix64 (values computed once; any change to the
    /// generator breaks reproducibility across versions and must be deliberate).
    @Test func sequenceIsPinned() {
        var rng = SeededGenerator(seed: 0)
        let first = (0..<3).map { _ in rng.next() }
        #expect(first == SamplingTests.pinnedSeed0)
    }
    static let pinnedSeed0: [UInt64] = [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0]

    @Test func intBelowIsUniform() {
        var rng = SeededGenerator(seed: 1)
        var histogram = [Int](repeating: 0, count: 7)
        let draws = 70_000
        for _ in 0..<draws { histogram[rng.nextInt(below: 7)] += 1 }
        // χ² with 6 degrees of freedom: 22.5 is the 0.999 quantile.
        let expected = Double(draws) / 7
        let chi2 = histogram.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 22.5)
    }

    @Test func gammaMomentsMatchTheory() {
        var rng = SeededGenerator(seed: 3)
        for shape in [0.1, 0.5, 1.0, 2.5, 10.0] {
            let n = 40_000
            let xs = (0..<n).map { _ in rng.nextGamma(shape: shape) }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            // Standard error of the mean is sqrt(shape / n); allow 5 of them.
            #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot(), "shape \(shape) mean \(mean)")
            // Var of the sample variance of a Gamma: (μ4 − σ⁴)/n with μ4 = 3σ⁴ + 6 shape.
            let varOfVar = (2 * shape * shape + 6 * shape) / Double(n)
            #expect(abs(variance - shape) < 5 * varOfVar.squareRoot(), "shape \(shape) variance \(variance)")
        }
    }

    @Test func dirichletMomentsMatchTheory() {
        var rng = SeededGenerator(seed: 4)
        for alpha in [[1.0, 1, 1, 1, 1], [0.2, 0.5, 3.0], [10.0, 1.0, 5.0, 2.0]] {
            let a0 = alpha.reduce(0, +)
            let n = 30_000
            var sum = [Double](repeating: 0, count: alpha.count)
            var sumSq = [Double](repeating: 0, count: alpha.count)
            for _ in 0..<n {
                let p = rng.nextDirichlet(alpha)
                #expect(abs(p.reduce(0, +) - 1) < 1e-12)
                for i in p.indices {
                    sum[i] += p[i]
                    sumSq[i] += p[i] * p[i]
                }
            }
            for i in alpha.indices {
                let mean = sum[i] / Double(n)
                let variance = sumSq[i] / Double(n) - mean * mean
                let m = alpha[i] / a0
                let v = m * (1 - m) / (a0 + 1)
                #expect(abs(mean - m) < 5 * (v / Double(n)).squareRoot(), "α \(alpha) component \(i)")
                // The sample variance of a variable in [0, 1] has standard error below sqrt(v / n).
                #expect(abs(variance - v) < 5 * (v / Double(n)).squareRoot(), "α \(alpha) component \(i)")
            }
        }
    }

    @Test func dirichletWithTinyConcentrationsStaysOnTheSimplex() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<1000 {
            let p = rng.nextDirichlet([1e-3, 1e-3, 1e-3])
            #expect(p.allSatisfy { $0.isFinite && $0 >= 0 })
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        }
    }

    @Test func categoricalFollowsTheWeights() {
        var rng = SeededGenerator(seed: 6)
        let weights = [0.1, 0.0, 0.6, 0.3]
        var histogram = [Int](repeating: 0, count: 4)
        let n = 50_000
        for _ in 0..<n { histogram[rng.nextCategorical(weights)] += 1 }
        #expect(histogram[1] == 0)
        for i in [0, 2, 3] {
            let p = weights[i]
            #expect(abs(Double(histogram[i]) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
        }
    }

    @Test func permutationsAreUniform() {
        var rng = SeededGenerator(seed: 9)
        var counts = [[Int]: Int]()
        let n = 60_000
        for _ in 0..<n { counts[rng.nextPermutation(3), default: 0] += 1 }
        #expect(counts.count == 6)
        let expected = Double(n) / 6
        let chi2 = counts.values.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 20.5)  // χ²(5) 0.999 quantile
    }
}
