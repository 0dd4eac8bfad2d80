/// The rungs of asynchronous successive halving, stopping variant (`EarlyStopping`): the validation errors
/// recorded at each rung, by job, and the decision for each new report.
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
        recorded[rung]![job] = error
        if let cutoff, error > cutoff {
            stopped[job] = epoch
            return .stop(rung: rung, cutoff: cutoff)
        }
        return .goesOn(rung: rung)
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
