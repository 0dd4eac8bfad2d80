import ANASOD
import BayesOpt

extension ANASODBO {
    /// Whether to train an evaluated cell again, with another training seed, instead of a new cell (issue 26):
    /// a noisy study's recommendation may rest on one lucky run.
    ///
    /// Under the cell-level GP (`anasod-bo-2s`, whose noise term learns from repeats of one cell: `GPData`
    /// folds them exactly), take the recommended cell r (lowest posterior mean) and the evaluated cell c most
    /// likely to be truly better, P(f(c) < f(r)) = Φ((μ_r − μ_c)/√(σ_r² + σ_c²)) with the latent variances.
    /// When that probability exceeds `retrainDoubt`, the order of the two is in doubt; of the two, the one
    /// with fewer runs (r on a tie) is trained again, provided it has fewer than `retrainRuns` runs, it is not
    /// being trained now, and retrains stay within `retrainShare` of the evaluations. Nil otherwise.
    /// Until a cell has two successful runs, the recommendation (else the best cell that may be trained again)
    /// is retrained first: a probe of the noise, one at a time (see below).
    /// Only the cell-level GP tells cells of one encoding apart, so the encoding-GP variant never retrains.
    mutating func retrainPick(pending: [Proposal]) -> Proposal? {
        guard configuration.retrainRuns > 1, configuration.withinEncoding == .cellModel, !inInitialDesign else { return nil }
        let cells = history.cellMeans
        let runs = history.observations.count
        let retrains = runs - Set(history.observations.map(\.architecture)).count
        guard cells.count >= 2, Double(retrains + 1) <= configuration.retrainShare * Double(runs + 1) else { return nil }
        let model: Surrogate.Model
        do {
            model = try cellSurrogate.model(features: history.successes.map { cellFeatures.vector($0.architecture) },
                                            values: history.successes.map(\.value), seed: history.seed)
        } catch {
            return nil  // the propose call's own cell GP reports the failure
        }
        var points = [Double]()
        for cell in cells { points += cellFeatures.vector(cell.architecture) }
        let posterior = model.gp.posterior(at: points, count: cells.count)
        let r = cells.indices.min { (posterior.mean[$0], cells[$0].mean) < (posterior.mean[$1], cells[$1].mean) }!
        // A cell is trained again only while its runs (failures included) stay under `retrainRuns`, and never
        // one that has failed: a failure is a fact about the cell, not noise.
        var runsOf = [Architecture: Int](), failed = Set<Architecture>()
        for o in history.observations {
            runsOf[o.architecture, default: 0] += 1
            if !(o.value?.isFinite ?? false) { failed.insert(o.architecture) }
        }
        var busy = Set(pending.map(\.architecture))
        busy.formUnion(failed)
        busy.formUnion(runsOf.filter { $0.value >= configuration.retrainRuns }.keys)
        // A cell the constraints now rule out (a resume that tightened them) is not trained again.
        if history.feasibility.isConstrained { busy.formUnion(cells.map(\.architecture).filter { !history.feasibility.allows($0) }) }
        // Until some cell has two runs the noise is not identified: the marginal likelihood of single runs
        // is as well explained by a GP that interpolates them (noise at its floor), and then no order is
        // ever in doubt. The first retrain is the recommendation's, a probe of the noise; from then on
        // `GPData`'s within-cell sum of squares informs the noise term.
        // One probe at a time (a pending cell already evaluated is one); a probe that failed leaves its cell
        // out, and the next-best cell is probed instead.
        if !cells.contains(where: { $0.count > 1 }) {
            guard !pending.contains(where: { runsOf[$0.architecture] != nil }) else { return nil }
            let probe = cells.indices.filter { !busy.contains(cells[$0].architecture) }
                .min { (posterior.mean[$0], cells[$0].mean) < (posterior.mean[$1], cells[$1].mean) }
            return probe.map { history.proposal(cells[$0].architecture) }
        }
        var rival: (index: Int, probability: Double)?
        for c in cells.indices where c != r {
            let sd = (max(posterior.variance[r], 0) + max(posterior.variance[c], 0)).squareRoot()
            guard sd > 1e-12 else { continue }
            let p = NormalDistribution.cdf((posterior.mean[r] - posterior.mean[c]) / sd)
            if rival == nil || p > rival!.probability { rival = (c, p) }
        }
        guard let rival, rival.probability > configuration.retrainDoubt else { return nil }
        let choice = [r, rival.index].filter { !busy.contains(cells[$0].architecture) }
            .min { cells[$0].count < cells[$1].count }
        return choice.map { history.proposal(cells[$0].architecture) }
    }
}
