import ANASOD
import BayesOpt

/// The BO strategies' recommendation: the evaluated cell with the lowest posterior mean under a surrogate,
/// ties (cells that share an input, as the cells of one encoding do) to the lower mean result, then to the
/// first seen; its estimate is that posterior mean on the objective's scale.
enum PosteriorRecommendation {
    static func lowestMean(history: StrategyHistory, model: Surrogate.Model,
                           features: (Architecture) -> [Double]) -> Recommendation? {
        let cells = history.cellMeans
        guard !cells.isEmpty else { return nil }
        var points = [Double]()
        for cell in cells { points += features(cell.architecture) }
        let means = model.gp.posterior(at: points, count: cells.count).mean
        let i = cells.indices.min { (means[$0], cells[$0].mean) < (means[$1], cells[$1].mean) }!
        return Recommendation(architecture: cells[i].architecture, estimate: model.scale.original(means[i]),
                              observations: cells[i].count)
    }
}
