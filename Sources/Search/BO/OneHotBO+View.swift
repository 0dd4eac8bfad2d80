import ANASOD
import BayesOpt

extension OneHotBO: SurrogateViewing {
    /// The GP on one-hot cell features as the strategy has it now (`SurrogateViewing`).
    public func surrogateView() throws(SurrogateView.Unavailable) -> SurrogateView {
        let n = history.successes.count
        guard n >= configuration.initialEvaluations else {
            throw .initialDesign(strategy: name, results: n, needed: configuration.initialEvaluations)
        }
        let fitted: (model: Surrogate.Model, fittedAt: Int)
        switch Result(catching: viewModel) {
        case .success(let value): fitted = value
        case .failure(let error): throw .fitFailed(strategy: name, "\(error)")
        }
        let features = self.features
        return SurrogateView(strategy: name, input: .cell, role: "GP on one-hot cell features", configuration: configuration.surrogate,
                             observations: n, fittedAt: fitted.fittedAt, model: fitted.model, features: { features.vector($0) })
    }

    /// The GP as `recommendation()` fits it, on a copy of the surrogate (its fit is cached there, not here).
    private func viewModel() throws -> (model: Surrogate.Model, fittedAt: Int) {
        var surrogate = self.surrogate
        let model = try surrogate.model(features: history.successes.map { features.vector($0.architecture) },
                                        values: history.successes.map(\.value), seed: history.seed)
        return (model, surrogate.dueFit ?? history.successes.count)
    }
}
