/// When the coordinator stops a cell before the end of its training (issue 28): `jobs.early_stopping`.
///
/// Rungs are at `minEpochs · η^k` epochs (k = 0, 1, …) below `maxEpochs`, the full training length: with
/// `min_epochs: 1`, `reduction_factor: 3`, `max_epochs: 27`, at epochs 1, 3 and 9. At each rung a cell goes on
/// only while its validation error is at or below the 1/η quantile of the errors recorded there before it:
/// the stopping variant of asynchronous successive halving (ASHA; Li et al. 2020, as Syne Tune's and Ray
/// Tune's stopping schedulers do it). A cell never waits for a rung to fill, so no worker idles.
public struct EarlyStopping: Hashable, Sendable {
    public enum Rule: String, Hashable, Sendable, CaseIterable {
        /// Every cell trains for its full length.
        case off
        /// Asynchronous successive halving, stopping variant.
        case asha
        /// The model-based rule (`RungLadder`): a cell stops at a rung when the final error its rung error predicts
        /// (a line fitted on the cells trained to the end, with its predictive spread) has under
        /// `RungLadder.stopProbability` chance of beating the best final error so far; ASHA's cutoff until the rung
        /// has `RungLadder.minimumPairs` such cells.
        case model
    }

    public var rule: Rule
    /// The first rung, in epochs (≥ 1).
    public var minEpochs: Int
    /// η: at each rung about one cell in η goes on (≥ 2).
    public var reductionFactor: Int
    /// The full training length in epochs: no rung at or above it.
    public var maxEpochs: Int

    public init(rule: Rule = .off, minEpochs: Int = 1, reductionFactor: Int = 3, maxEpochs: Int) {
        self.rule = rule
        self.minEpochs = minEpochs
        self.reductionFactor = reductionFactor
        self.maxEpochs = maxEpochs
    }

    /// What is wrong with the settings (named by their study-file keys), or nil.
    /// The first rung when the study names none: a sixteenth of the training, at least one epoch (epoch 12 of
    /// NB201's 200, epoch 1 of a 9-epoch proxy). Tuned on the 200 real NB201 curves, seeds 100–109 of `anasod
    /// bench --curves`: a first rung at epoch 1 or 4 of 200 stopped the best cells (their early epochs are
    /// slow), at 12 the default reached its full-length result in a quarter of the epochs.
    public static func defaultMinEpochs(maxEpochs: Int) -> Int { max(1, maxEpochs / 16) }

    public var problem: String? {
        guard minEpochs >= 1 else { return "'jobs.early_stopping.min_epochs' must be at least 1, got \(minEpochs)" }
        guard reductionFactor >= 2 else {
            return "'jobs.early_stopping.reduction_factor' must be at least 2, got \(reductionFactor)"
        }
        guard maxEpochs >= 1 else { return "'jobs.early_stopping.max_epochs' must be at least 1, got \(maxEpochs)" }
        if rule != .off && minEpochs >= maxEpochs {
            return "'jobs.early_stopping.min_epochs' (\(minEpochs)) must be below 'max_epochs' (\(maxEpochs)): "
                + "there would be no rung to stop a cell at"
        }
        return nil
    }

    /// The rung epochs, ascending (none when off).
    public var rungs: [Int] {
        guard rule != .off, minEpochs >= 1, reductionFactor >= 2 else { return [] }
        var rungs = [Int]()
        var epoch = minEpochs
        while epoch < maxEpochs {
            rungs.append(epoch)
            let (next, overflow) = epoch.multipliedReportingOverflow(by: reductionFactor)
            if overflow { break }
            epoch = next
        }
        return rungs
    }
}
