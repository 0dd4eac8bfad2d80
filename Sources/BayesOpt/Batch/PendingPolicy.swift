/// How a batch or asynchronous proposal accounts for points that are chosen but not yet observed, so
/// that q suggestions are diverse rather than q copies of one point.
public enum PendingPolicy: Sendable, Hashable {
    /// Kriging believer (Ginsbourger et al. 2010): pretend each pending point returned its posterior mean;
    /// means stay, variances around it shrink.
    case krigingBeliever
    /// Constant liar: pretend each pending point returned one fixed value.
    case constantLiar(Lie)
    /// Local penalisation (González et al., AISTATS 2016): multiply the acquisition by a soft exclusion
    /// ball around each pending point, sized by a Lipschitz estimate of the posterior mean.
    case localPenalization
    /// Thompson sampling from the joint posterior over the pool (BoTorch's `MaxPosteriorSampling`): each
    /// pick is the best point of one joint sample, pending points conditioned on first (kriging believer).
    case thompson
    /// Greedy Monte-Carlo q-EI with fixed joint samples ("q-EI by fantasies"): each pick maximises the
    /// expected improvement of the batch so far plus it, averaged over 256 joint posterior samples.
    case qEI

    public enum Lie: String, Sendable, Hashable, CaseIterable {
        /// The best (lowest) observed target: optimistic, spreads the batch least.
        case min
        /// The mean observed target.
        case mean
        /// The worst observed target: pessimistic, spreads the batch most.
        case max
    }
}
