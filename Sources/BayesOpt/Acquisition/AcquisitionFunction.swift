/// An acquisition function for **minimisation**, scored in log space so that tiny values stay ordered
/// (acquisition functions are kept apart from their maximisers, as in SMAC3 and BoTorch).
public protocol AcquisitionFunction: Sendable {
    /// The log of the acquisition value of a point whose predictive distribution is N(mean, variance),
    /// given the incumbent (lowest observed target) `best`. Larger is better.
    func logValue(mean: Double, variance: Double, best: Double) -> Double
}

/// The acquisition functions selectable by name in configs.
public enum AcquisitionKind: Sendable, Hashable {
    /// Expected improvement, computed as log-EI.
    case expectedImprovement
    /// Lower confidence bound μ − κσ, maximised as its negative.
    case upperConfidenceBound(kappa: Double)

    public var function: any AcquisitionFunction {
        switch self {
        case .expectedImprovement: ExpectedImprovement()
        case .upperConfidenceBound(let kappa): UpperConfidenceBound(kappa: kappa)
        }
    }
}
