import Foundation

/// The rungs of asynchronous successive halving, stopping variant (`EarlyStopping`): the validation errors
/// recorded at each rung, by job, and the decision for each new report. Under the model-based rule it also keeps
/// the final errors of the cells trained to the end (`finished`): at a rung where enough of them were recorded, a
/// line fitted on (rung error, final error) predicts a new cell's final error with its spread, and the cell stops
/// when it has under `stopProbability` chance of beating the best final error (Domhan et al. 2015's and
/// Swersky et al. 2014's idea, with the simplest model that the rung's own data supports).
///
/// A job is recorded at a rung once: by its first report at or past the rung's epoch, and only at the highest
/// rung that report reached (a trainer that reports every other epoch is judged at the first epoch it reports
/// past a rung; a report that jumps many epochs, honest or hostile, does not fill the rungs below with a late
/// error). Reports past `maxEpochs` are no rung's. A later attempt of the same
/// job (a retry after a lost worker) is judged only at rungs its job has not reached yet. The state is a
/// pure function of the reports in order, so a coordinator rebuilds it exactly from its journal's progress
/// records, and a resumed study decides as one that was never stopped.
public struct RungLadder: Sendable {
    public enum Decision: Hashable, Sendable {
        /// No rung was reached by this report.
        case none
        /// The job reached `rung` (its error recorded) and goes on.
        case goesOn(rung: Int)
        /// The job reached `rung` with an error above `cutoff`, the 1/η quantile of the errors recorded there
        /// before it: stop it.
        case stop(rung: Int, cutoff: Double)
    }

    public let settings: EarlyStopping
    public let rungs: [Int]
    /// Rung epoch → job → the validation error recorded there.
    public private(set) var recorded: [Int: [UInt64: Double]] = [:]
    /// Jobs stopped, with the epoch of the report that stopped them.
    public private(set) var stopped: [UInt64: Int] = [:]
    /// Final errors of jobs trained to the end (the model-based rule's data), by job.
    public private(set) var finals: [UInt64: Double] = [:]
    /// The best final error among the results that count (a result that breaks a limit measured in evaluation
    /// calibrates the model but is no incumbent).
    public private(set) var best = Double.infinity

    /// The model-based rule's pairs needed at a rung before it judges there (ASHA's cutoff before).
    public static let minimumPairs = 5
    /// The model-based rule stops a cell whose chance of beating the best final error is below this.
    public static let stopProbability = 0.01

    public init(_ settings: EarlyStopping) {
        self.settings = settings
        rungs = settings.rungs
        for rung in rungs { recorded[rung] = [:] }
    }

    public var isActive: Bool { !rungs.isEmpty }

    /// Takes a job's validation error after `epoch` epochs, records it at every rung it reached for the first
    /// time, and says whether the job goes on: it stops at the first of those rungs where its error is above
    /// the cutoff the errors recorded there before it give. A job stopped earlier is not recorded again.
    public mutating func report(job: UInt64, epoch: Int, error: Double) -> Decision {
        guard let rung = newRung(job: job, epoch: epoch, error: error) else { return .none }
        let cutoff = Self.quantile(recorded[rung]!.values.sorted(), 1 / Double(settings.reductionFactor))
        if settings.rule == .model, let chance = chanceOfBeatingBest(rung: rung, error: error) {
            recorded[rung]![job] = error
            guard chance < Self.stopProbability else { return .goesOn(rung: rung) }
            stopped[job] = epoch
            return .stop(rung: rung, cutoff: best)
        }
        recorded[rung]![job] = error
        if let cutoff, error > cutoff {
            stopped[job] = epoch
            return .stop(rung: rung, cutoff: cutoff)
        }
        return .goesOn(rung: rung)
    }

    /// Takes the final error of a job trained to the end; `counts`: whether it may be the best (a result that
    /// breaks a limit measured in evaluation does not). The state is a function of the set of finals, so a resume
    /// rebuilds it in any order.
    public mutating func finished(job: UInt64, error: Double, counts: Bool = true) {
        guard error.isFinite, stopped[job] == nil else { return }
        finals[job] = error
        if counts { best = min(best, error) }
    }

    /// P(final error < best) for a job with `error` at `rung`, from the least-squares line of final on rung error
    /// over the jobs recorded there and trained to the end, with its predictive spread (Student-free: the normal
    /// with the residual variance, inflated for the line's own uncertainty); nil while the rung has fewer than
    /// `minimumPairs` such jobs, no best, or rung errors that are all the same.
    public func chanceOfBeatingBest(rung: Int, error: Double) -> Double? {
        guard best.isFinite, let at = recorded[rung] else { return nil }
        var pairs = [(x: Double, y: Double)]()
        for (job, x) in at { if let y = finals[job] { pairs.append((x, y)) } }
        let n = Double(pairs.count)
        guard pairs.count >= Self.minimumPairs else { return nil }
        let mx = pairs.reduce(0) { $0 + $1.x } / n, my = pairs.reduce(0) { $0 + $1.y } / n
        let sxx = pairs.reduce(0) { $0 + ($1.x - mx) * ($1.x - mx) }
        guard sxx > 0 else { return nil }
        let slope = pairs.reduce(0) { $0 + ($1.x - mx) * ($1.y - my) } / sxx
        let intercept = my - slope * mx
        let residual = pairs.reduce(0) { $0 + pow($1.y - intercept - slope * $1.x, 2) } / (n - 2)
        let predicted = intercept + slope * error
        let spread = (residual * (1 + 1 / n + (error - mx) * (error - mx) / sxx)).squareRoot()
        guard spread > 0 else { return predicted < best ? 1 : 0 }
        return 0.5 * erfc(-(best - predicted) / (spread * 2.0.squareRoot()))
    }

    /// Records a report without deciding (a resume replaying its journal: the decisions are in the journal).
    public mutating func record(job: UInt64, epoch: Int, error: Double) {
        if let rung = newRung(job: job, epoch: epoch, error: error) { recorded[rung]![job] = error }
    }

    /// The rung a report is recorded at: the highest at or below its epoch, when the job has no record there or
    /// above (nil for a stopped job, an error that is not a number, or an epoch past `maxEpochs`).
    private func newRung(job: UInt64, epoch: Int, error: Double) -> Int? {
        guard error.isFinite, stopped[job] == nil, epoch <= settings.maxEpochs,
              let rung = rungs.last(where: { $0 <= epoch }) else { return nil }
        guard !rungs.contains(where: { $0 >= rung && recorded[$0]?[job] != nil }) else { return nil }
        return rung
    }

    /// Marks a job stopped after `epoch` epochs (a resume reading the journal's stopped result).
    public mutating func markStopped(job: UInt64, epoch: Int) {
        stopped[job] = epoch
    }

    /// The errors recorded for `job`, by rung epoch.
    public func errors(of job: UInt64) -> [Int: Double] {
        var errors = [Int: Double]()
        for (rung, jobs) in recorded { if let e = jobs[job] { errors[rung] = e } }
        return errors
    }

    /// The q-quantile of sorted values, linearly interpolated between order statistics (NumPy's default, as the
    /// peers compute their cutoffs); nil for no values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }
}
