import ANASOD
import BayesOpt

extension ANASODBO: SurrogateViewing {
    /// The encoding GP as the strategy has it now (`SurrogateViewing`): the GP that chooses encodings, on the
    /// concatenated operation shares. For `anasod-bo-2s` it is the first of its two stages; the cell-level GP
    /// that picks a cell within each chosen encoding is not this view (the label says so).
    public func surrogateView() throws(SurrogateView.Unavailable) -> SurrogateView {
        guard !inInitialDesign else {
            throw .initialDesign(strategy: name, results: history.successes.count, needed: configuration.initialEvaluations)
        }
        let fitted: (model: Surrogate.Model, fittedAt: Int)
        switch Result(catching: viewModel) {
        case .success(let value): fitted = value
        case .failure(let error): throw .fitFailed(strategy: name, "\(error)")
        }
        let space = history.space
        let role = configuration.withinEncoding == .cellModel
            ? "encoding GP (the first of its two stages: it chooses the encodings; the cell-level GP that then picks a "
                + "cell within each is not shown)"
            : "encoding GP"
        return SurrogateView(strategy: name, input: .encoding, role: role, configuration: configuration.surrogate,
                             observations: history.successes.count, fittedAt: fitted.fittedAt, model: fitted.model,
                             features: { space.encode($0).vector })
    }

    /// The encoding GP as `propose` and `recommendation()` fit it (`encodingModel()`), on a copy of the
    /// strategy: the fit is cached on the copy, and the strategy itself is left as it was.
    private func viewModel() throws -> (model: Surrogate.Model, fittedAt: Int) {
        var copy = self
        let model = try copy.encodingModel()
        return (model, copy.surrogate.dueFit ?? history.successes.count)
    }
}
