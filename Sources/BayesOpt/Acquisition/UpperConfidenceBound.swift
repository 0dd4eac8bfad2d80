import Foundation

/// The confidence bound for minimisation, μ − κσ (Srinivas et al. 2010), maximised as κσ − μ. Its "log
/// value" is a monotone map of κσ − μ onto the log scale the maximisers compare:
/// log-sigmoid-like softplus, so that it composes with the (log) penalties of local penalisation.
public struct UpperConfidenceBound: AcquisitionFunction {
    public let kappa: Double

    public init(kappa: Double = 2) {
        self.kappa = kappa
    }

    public func logValue(mean: Double, variance: Double, best: Double) -> Double {
        let score = kappa * max(variance, 0).squareRoot() - mean + best
        // log softplus(score), stable both ways.
        if score > 30 { return log(score) }
        if score < -30 { return score }  // softplus(s) ≈ eˢ
        return log(log1p(exp(score)))
    }
}
