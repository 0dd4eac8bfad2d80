/// TuRBO-style control of the pool concentration β of ANASOD-BO's encoding-generating distribution
/// Dir(k·β·p~* + 1) (arXiv 2111.04670, Algorithm 2, step e; Eriksson et al., NeurIPS 2019).
///
/// After `successTolerance` consecutive observations that improve the incumbent, β rises (0 → `initialBeta`,
/// then doubles, capped at `maxBeta`): the pool concentrates around p~*. After `failureTolerance`
/// consecutive non-improving observations β halves; below `initialBeta` it collapses back to 0 (the uniform
/// Dir(1)), a restart of the trust region.
public struct TrustRegion: Sendable, Hashable {
    public var successTolerance: Int
    public var failureTolerance: Int
    public var initialBeta: Double
    public var maxBeta: Double
    public private(set) var beta: Double = 0
    public private(set) var successes = 0
    public private(set) var failures = 0

    public init(successTolerance: Int = 2, failureTolerance: Int = 6, initialBeta: Double = 1, maxBeta: Double = 16) {
        self.successTolerance = max(1, successTolerance)
        self.failureTolerance = max(1, failureTolerance)
        self.initialBeta = initialBeta
        self.maxBeta = max(initialBeta, maxBeta)
    }

    public mutating func update(improved: Bool) {
        if improved {
            successes += 1
            failures = 0
            if successes >= successTolerance {
                beta = beta == 0 ? initialBeta : min(2 * beta, maxBeta)
                successes = 0
            }
        } else {
            failures += 1
            successes = 0
            if failures >= failureTolerance {
                beta /= 2
                if beta < initialBeta { beta = 0 }
                failures = 0
            }
        }
    }
}
