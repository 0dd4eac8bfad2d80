@testable import BayesOpt
import Foundation
import Testing

@Suite struct AcquisitionTests {
    /// EI by its textbook formula, in plain doubles.
    func naiveEI(_ mean: Double, _ variance: Double, _ best: Double) -> Double {
        let s = variance.squareRoot()
        let z = (best - mean) / s
        return s * (z * 0.5 * erfc(-z / 2.0.squareRoot()) + exp(-0.5 * z * z) / (2 * Double.pi).squareRoot())
    }

    @Test func matchesTheFormulaWhereTheFormulaIsAccurate() {
        let ei = ExpectedImprovement()
        for mean in stride(from: -3.0, through: 3.0, by: 0.25) {
            for variance in [0.01, 0.3, 1, 4] {
                let expected = naiveEI(mean, variance, 0.2)
                #expect(abs(ei.value(mean: mean, variance: variance, best: 0.2) - expected) < 1e-12 + 1e-9 * expected)
            }
        }
    }

    @Test func logEIIsFiniteMonotoneAndPositiveFarInTheTails() {
        var previous = -Double.infinity
        for z in stride(from: -1e4, through: 30, by: 0.37) {
            let value = ExpectedImprovement.logH(z)
            #expect(value.isFinite, "z = \(z)")
            #expect(value > previous, "log h must increase with z (z = \(z))")
            previous = value
        }
        // Asymptotics: h(z) ≈ φ(z)/z² for z → −∞.
        for z in [-30.0, -100, -1000] {
            let asymptotic = NormalDistribution.logDensity(z) - 2 * log(-z)
            #expect(abs(ExpectedImprovement.logH(z) - asymptotic) < 5 / (z * z))
        }
        // Continuity across the branch points.
        for z in [-1.0, -25.0] {
            #expect(abs(ExpectedImprovement.logH(z - 1e-9) - ExpectedImprovement.logH(z + 1e-9)) < 1e-6)
        }
        #expect(ExpectedImprovement().value(mean: 1e6, variance: 1e-6, best: 0) >= 0)
        #expect(ExpectedImprovement().logValue(mean: 1, variance: 0, best: 0) == -.infinity)
    }

    @Test func quantileInvertsTheCDF() {
        for p in [1e-12, 1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.98, 0.999999] {
            let z = NormalDistribution.quantile(p)
            #expect(abs(NormalDistribution.cdf(z) - p) < 1e-12 * max(1, p / 1e-3) + 1e-15 * 0 + p * 1e-10)
        }
        #expect(NormalDistribution.quantile(0.5) == 0)
    }

    @Test func confidenceBoundPrefersLowMeanAndHighVariance() {
        let ucb = UpperConfidenceBound(kappa: 2)
        #expect(ucb.logValue(mean: 0, variance: 1, best: 0) > ucb.logValue(mean: 1, variance: 1, best: 0))
        #expect(ucb.logValue(mean: 0, variance: 4, best: 0) > ucb.logValue(mean: 0, variance: 1, best: 0))
        #expect(ucb.logValue(mean: 1e3, variance: 0, best: 0).isFinite)
    }
}
