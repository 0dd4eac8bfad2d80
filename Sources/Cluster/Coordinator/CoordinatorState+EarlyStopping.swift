import ANASOD
import Journal
import Search
import Wire

/// Early stopping in the coordinator (issue 28): each lease's validation error at a rung is compared with the
/// others recorded there (`RungLadder`, asynchronous successive halving); a lease that falls out is stopped:
/// its worker is told to cancel it, its last report is journaled as the job's result *stopped at epoch e*
/// (with that epoch's error and seconds), the strategy observes it, and the slot is free at once. The budget
/// counts it as an evaluation, as Optuna's `n_trials` counts pruned trials. It is never the best seen: no one
/// trained it to the end. A retrain (a later job of a cell an earlier job holds: `anasod-bo-2s` measuring a
/// promising cell's noise) is exempt: its cell passed the rungs already, and it is trained again for a second
/// full measurement.
extension CoordinatorState {
    /// A progress report just journaled for the lease `key`, held by `peer`: judged at the rungs it reached.
    mutating func judgeAtRung(_ key: JobKey, progress p: EpochProgress, peer: PeerID, now: Double) -> [CoordinatorAction] {
        guard let error = p.validationError, ladder != nil, !isRetrain(key.jobID),
              case .stop = ladder!.report(job: key.jobID, epoch: p.epoch, error: error) else { return [] }
        return stop(key, progress: p, error: error, peer: peer, now: now)
    }

    /// Whether `job` is a later job of a cell an earlier job holds.
    func isRetrain(_ job: UInt64) -> Bool {
        guard let cell = jobs[job]?.architectureString, let first = firstJobOfCell[cell] else { return false }
        return first != job
    }

    private mutating func stop(_ key: JobKey, progress p: EpochProgress, error: Double, peer: PeerID,
                               now: Double) -> [CoordinatorAction] {
        guard let job = completeWithoutResult(key, peer: peer, value: error) else { return [] }
        stoppedCount += 1
        var actions = succeeded(peer, now: now)
        // What the slot paid: the lease's wall clock (trainers differ in what their progress `seconds` mean).
        let metrics = Metrics(validationError: error, trainSeconds: max(0, now - job.leasedAt), stoppedAtEpoch: p.epoch)
        let worker = workers[peer]?.id ?? peer.description
        actions += observed(job: job.id, attempt: key.attempt, worker: worker, proposal: job.proposal,
                            outcome: .result(metrics), now: now)
        actions.append(.send(peer, .cancel(JobCancel(key: key))))
        if successes >= configuration.budget { actions += finish(reason: "budget of \(configuration.budget) reached") }
        return actions
    }

    /// The rungs as the live coordinator had them: every progress record the journal keeps, each attempt's in
    /// order (a job is recorded at a rung by its first report there, so the order across jobs does not change
    /// what is recorded), the stopped results, and the final errors of the others (the model-based rule's data:
    /// a set, whatever the order). The decisions themselves are in the journal.
    mutating func rebuildLadder(from replay: JournalReplay) {
        guard ladder != nil else { return }
        for trial in replay.trials where !isRetrain(trial.job) {
            for attempt in trial.attempts {
                for p in attempt.epochs {
                    if let error = p.validationError { ladder!.record(job: trial.job, epoch: p.epoch, error: error) }
                }
            }
            if let epoch = trial.result?.metrics.stoppedAtEpoch {
                ladder!.markStopped(job: trial.job, epoch: epoch)
            } else if let metrics = trial.result?.metrics {
                let counts = outcomeLimits.allows(metrics)
                ladder!.finished(job: trial.job, error: metrics.validationError, counts: counts)
            }
        }
    }
}
