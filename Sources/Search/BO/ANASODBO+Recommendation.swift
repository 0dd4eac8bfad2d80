import ANASOD
import BayesOpt

extension ANASODBO {
    /// For `anasod-bo-2s`, the evaluated cell with the lowest posterior mean under its cell-level GP (issue
    /// 26). For the encoding-GP variants, the best seen (the lowest mean result): that GP gives every cell of
    /// an encoding one mean, so a cell's own results are the only cell-level evidence it has, and without
    /// repeats it cannot tell their noise from the cell's effect. (Its lowest-mean encoding, best cell within,
    /// was measured: on NB201 CIFAR-10-valid runs, tuning seeds 100–119, a true error of 9.26 after 150
    /// evaluations against the best seen's 8.4: the best encoding on average holds mediocre cells.) The best
    /// seen, too, during the initial design, or when the GP cannot be fitted (with a note).
    public mutating func recommendation() -> Recommendation? {
        guard !history.successes.isEmpty else { return nil }
        guard !inInitialDesign, configuration.withinEncoding == .cellModel else { return history.bestSeenRecommendation }
        do {
            let model = try cellSurrogate.model(features: history.successes.map { cellFeatures.vector($0.architecture) },
                                                values: history.successes.map(\.value), seed: history.seed)
            return PosteriorRecommendation.lowestMean(history: history, model: model, features: cellFeatures.vector)
        } catch {
            notes.add("\(name): no GP for the recommendation on \(history.successes.count) results (\(error)); the best seen instead")
            return history.bestSeenRecommendation
        }
    }
}
