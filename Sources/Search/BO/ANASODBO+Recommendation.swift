import ANASOD
import BayesOpt

extension ANASODBO {
    /// The evaluated cell with the lowest posterior mean (issue 26): under the cell-level GP for
    /// `anasod-bo-2s`, else under the encoding GP (the cells of one encoding share its mean; among them,
    /// the one with the lowest mean result). The best seen during the initial design, or when the GP
    /// cannot be fitted (with a note).
    public mutating func recommendation() -> Recommendation? {
        guard !history.successes.isEmpty else { return nil }
        guard !inInitialDesign else { return history.bestSeenRecommendation }
        do {
            if configuration.withinEncoding == .cellModel {
                let model = try cellSurrogate.model(features: history.successes.map { cellFeatures.vector($0.architecture) },
                                                    values: history.successes.map(\.value), seed: history.seed)
                return PosteriorRecommendation.lowestMean(history: history, model: model, features: cellFeatures.vector)
            }
            let model = try encodingModel()
            let space = history.space
            return PosteriorRecommendation.lowestMean(history: history, model: model) { space.encode($0).vector }
        } catch {
            notes.add("\(name): no GP for the recommendation on \(history.successes.count) results (\(error)); the best seen instead")
            return history.bestSeenRecommendation
        }
    }
}
