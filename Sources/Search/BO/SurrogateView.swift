import ANASOD
import BayesOpt
import Foundation

/// A BO strategy's own surrogate, read-only, with its predictions on the objective's own scale: what the
/// report's "GP view" shows a person. It is never used to propose.
///
/// The GP works on warped, standardised targets (`OutputWarping`, `rank` by default). A prediction maps
/// the posterior mean μ and μ ± 2σ back through `WarpedScale.original`, with σ the SD of the latent f
/// (observation noise left out). The band is therefore asymmetric wherever the warping is nonlinear. For
/// `rank` and `log` the mapped μ is the posterior median on the objective's scale, not its mean. With
/// `none` it is the mean exactly: μ · sd + mean of the targets.
public struct SurrogateView: Sendable {
    /// What the GP's inputs are.
    public enum Input: String, Sendable, Hashable {
        /// The encoding: operation shares, one simplex per cell type, concatenated (ANASOD-BO's GP).
        case encoding
        /// One-hot cell features (`CellFeatures`), as in the one-hot BO baseline.
        case cell
    }

    /// The surrogate at one input.
    public struct Prediction: Sendable, Hashable {
        /// μ mapped back to the objective's scale.
        public var mean: Double
        /// μ − 2σ and μ + 2σ mapped back (lower ≤ mean ≤ upper: the map is monotone).
        public var lower: Double
        public var upper: Double
        /// μ and σ on the GP's own warped, standardised scale.
        public var warpedMean: Double
        public var warpedSD: Double
    }

    /// Why a strategy has no surrogate to show now.
    public enum Unavailable: Error, Equatable, Sendable, CustomStringConvertible {
        /// The strategy is still in its initial design and has fitted no GP yet.
        case initialDesign(strategy: String, results: Int, needed: Int)
        /// The strategy's GP could not be built on its results; the error says why.
        case fitFailed(strategy: String, String)

        public var description: String {
            switch self {
            case let .initialDesign(strategy, results, needed):
                "\(strategy) is still in its initial design (\(results) result(s); its GP starts after \(needed), "
                    + "at two encodings or more) and has fitted no surrogate yet"
            case let .fitFailed(strategy, error): "\(strategy)'s GP could not be fitted to its results: \(error)"
            }
        }
    }

    /// The strategy's name (`anasod-bo-2s`, …).
    public let strategy: String
    public let input: Input
    /// Which of the strategy's GPs this is, when it has more than one (empty otherwise).
    public let role: String
    public let kernel: KernelKind
    public let warping: OutputWarping
    /// Successful observations the GP is conditioned on (or chosen from, beyond `maxConditionPoints`).
    public let observations: Int
    /// The distinct inputs among them (repeats of one input fold into one).
    public var distinctInputs: Int { model.gp.data.count }
    /// The n of the hyperparameters' last fit on the strategy's refit schedule.
    public let fittedAt: Int
    /// Length scales (one per input dimension), output scale and noise, on the warped, standardised scale.
    public var hyperparameters: GPHyperparameters { model.gp.hyperparameters }

    let model: Surrogate.Model
    let features: @Sendable (Architecture) -> [Double]

    init(strategy: String, input: Input, role: String = "", configuration: Surrogate.Configuration, observations: Int,
         fittedAt: Int, model: Surrogate.Model, features: @escaping @Sendable (Architecture) -> [Double]) {
        self.strategy = strategy
        self.input = input
        self.role = role
        kernel = configuration.kernel
        warping = configuration.warping
        self.observations = observations
        self.fittedAt = fittedAt
        self.model = model
        self.features = features
    }

    /// The predictions at `points`, one row each in the GP's input space (`input`, dimension as the
    /// hyperparameters' length scales).
    public func predict(_ points: [[Double]]) -> [Prediction] {
        guard !points.isEmpty else { return [] }
        let posterior = model.gp.posterior(at: points.flatMap { $0 }, count: points.count)
        return (0..<points.count).map { j in
            let mu = posterior.mean[j], sigma = max(0, posterior.variance[j]).squareRoot()
            let scale = model.scale
            return Prediction(mean: scale.original(mu), lower: scale.original(mu - 2 * sigma),
                              upper: scale.original(mu + 2 * sigma), warpedMean: mu, warpedSD: sigma)
        }
    }

    /// The predictions at `architectures`, through the strategy's own features (their encodings for an
    /// encoding GP, so the cells of one encoding share a prediction).
    public func predict(architectures: [Architecture]) -> [Prediction] { predict(architectures.map(features)) }

    /// One line that says what this surrogate is: the strategy, which GP, kernel, warping, data and
    /// hyperparameters.
    public var label: String {
        let h = hyperparameters
        let kernelName = switch kernel {
        case .matern52: "Matérn-5/2"
        case .rbf: "RBF"
        }
        let inputs = input == .encoding ? "encodings" : "cells"
        var s = "\(strategy)'s " + (role.isEmpty ? "GP" : role) + ": \(kernelName) kernel, \(warping.rawValue) warping, "
        s += "\(observations) results at \(distinctInputs) \(inputs), hyperparameters fitted at n = \(fittedAt) ("
        s += "length scales " + Self.list(h.lengthscales)
        s += String(format: ", output scale %.3g, noise %.3g on the warped, standardised scale)", h.outputScale, h.noise)
        return s
    }

    /// Up to 6 values in full, else their range.
    static func list(_ values: [Double]) -> String {
        guard values.count > 6, let lo = values.min(), let hi = values.max() else {
            return values.map { String(format: "%.3g", $0) }.joined(separator: ", ")
        }
        return String(format: "%.3g … %.3g over %d inputs", lo, hi, values.count)
    }
}

/// A strategy with a surrogate a person may look at (`SurrogateView`).
public protocol SurrogateViewing: SearchStrategy {
    /// The surrogate the strategy has now, as its next recommendation would use it: fitted on every success
    /// so far, with the hyperparameters of its last scheduled fit. Reading it changes nothing.
    /// - Throws: `SurrogateView.Unavailable` while there is none (the initial design) or when it cannot be fitted.
    func surrogateView() throws(SurrogateView.Unavailable) -> SurrogateView
}
