/// The candidates a `BatchSelector` picked, and the fallback it took if it could not apply its policy.
public struct BatchSelection: Sendable {
    /// Why a batch was not chosen the way its policy asks: the candidates' joint posterior covariance could
    /// not be factored even with jitter, so `.thompson` sampled each candidate's marginal independently and
    /// `.qEI` picked by kriging believer on the acquisition instead.
    public struct Fallback: Sendable, CustomStringConvertible {
        /// The policy that was asked for (`.thompson` or `.qEI`).
        public var policy: PendingPolicy
        /// Why the joint covariance could not be factored (a `BayesOptError.notPositiveDefinite`).
        public var error: any Error

        public init(policy: PendingPolicy, error: any Error) {
            self.policy = policy
            self.error = error
        }

        public var description: String {
            switch policy {
            case .qEI: "the joint posterior could not be factored (\(error)); q-EI picked by kriging believer instead"
            default: "the joint posterior could not be factored (\(error)); Thompson sampling drew independent marginals instead"
            }
        }
    }

    /// Candidate indices, in pick order.
    public var picks: [Int]
    /// nil when the policy was applied as asked.
    public var fallback: Fallback?

    public init(picks: [Int], fallback: Fallback? = nil) {
        self.picks = picks
        self.fallback = fallback
    }
}
