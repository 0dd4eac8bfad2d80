import ANASOD

/// A study as its journal tells it: every record folded, in order, into typed trials, their attempts and the
/// strategy's history, as Optuna's `JournalStorage` replays its log into trials. It is the one reading of a
/// journal: the coordinator's resume, `anasod status` and `export`, and the report's history all start here.
public struct JournalReplay: Sendable {
    /// Where a trial (one proposed cell, one job) stands.
    public enum TrialState: String, Sendable, CaseIterable {
        /// Proposed, not running: waiting for a worker (or re-queued after a failed attempt).
        case queued
        /// An attempt is leased to a worker.
        case running
        /// A result was accepted.
        case done
        /// It failed for good.
        case failed
    }

    /// How one attempt (one lease) ended.
    public enum AttemptState: String, Sendable, CaseIterable {
        case running, done, failed
        /// A later attempt of its job was leased without this one ending (the coordinator restarted meanwhile).
        case lost
    }

    /// A failure report (or a lease the coordinator gave up on) and what it decided.
    public struct Failure: Sendable, Hashable {
        public var reason: String
        /// Nil in journals written before failure classes.
        public var failureClass: FailureClass?
        /// The job will not be tried again.
        public var final: Bool
    }

    public struct Attempt: Sendable {
        public var number: Int
        public var worker: String
        /// The name of the CURVE key it was leased under (nil on plain sockets and in older journals).
        public var key: String?
        /// Wall-clock seconds (since 1970) of its dispatch and of its end.
        public var dispatched: Double
        public var ended: Double?
        public var state: AttemptState
        /// The epochs its worker streamed.
        public var epochs: [EpochProgress] = []
        public var failure: Failure?
    }

    /// The accepted result of a trial.
    public struct Accepted: Sendable {
        public var attempt: Int
        public var worker: String
        public var metrics: Metrics
        /// Wall-clock seconds (since 1970) when it was committed.
        public var time: Double
    }

    public struct Trial: Sendable {
        public var job: UInt64
        /// The propose call that made it.
        public var call: Int
        public var architecture: String
        public var encoding: [[Double]]
        public var state: TrialState = .queued
        /// Its attempts, in dispatch order.
        public var attempts: [Attempt] = []
        public var result: Accepted?
        /// Its last failure (a later success keeps it, for the record).
        public var lastFailure: Failure?
        /// Failures that count against `jobs.max_attempts`: those not blamed on their worker (`data`,
        /// `configuration`).
        public var chargedFailures = 0

        /// The highest attempt number leased so far (0: never).
        public var attemptCount: Int { attempts.map(\.number).max() ?? 0 }
        /// The worker of the accepted result, else of the latest attempt.
        public var worker: String? { result?.worker ?? attempts.last?.worker }
        /// The attempt leased now, if one is.
        public var openAttempt: Attempt? { attempts.last { $0.state == .running } }
        /// The epochs of the accepted attempt, else of the attempt running now.
        public var curve: [EpochProgress] {
            if let result { return attempts.last { $0.number == result.attempt }?.epochs ?? [] }
            return openAttempt?.epochs ?? []
        }
    }

    /// One step of the strategy's history, in the order the strategy lived it: a propose call (its jobs), or an
    /// outcome it observed (the trial's value; nil for a failure).
    public enum Step: Sendable, Hashable {
        case proposed(call: Int, jobs: [UInt64])
        case observed(job: UInt64, value: Double?)
    }

    /// What the coordinator decided about a worker (it gets no more jobs, and why).
    public struct Note: Sendable, Hashable {
        public var worker: String
        public var message: String
        public var time: Double

        public init(worker: String, message: String, time: Double) {
            self.worker = worker
            self.message = message
            self.time = time
        }
    }

    /// A cell the strategy recommended (`JournalRecord.recommended`).
    public struct Recommendation: Sendable, Hashable {
        public var architecture: String
        /// The strategy's estimate of its validation error (%).
        public var estimate: Double
        /// The results of the cell the strategy had seen.
        public var observations: Int
        /// Outcomes observed and propose calls made by the strategy when it was asked.
        public var afterObservations: Int
        public var afterCalls: Int
        /// Wall-clock seconds (since 1970) when it was journaled.
        public var time: Double

        public init(architecture: String, estimate: Double, observations: Int, afterObservations: Int, afterCalls: Int,
                    time: Double) {
            self.architecture = architecture
            self.estimate = estimate
            self.observations = observations
            self.afterObservations = afterObservations
            self.afterCalls = afterCalls
            self.time = time
        }

        /// Its journal record.
        public var record: JournalRecord {
            .recommended(architecture: architecture, estimate: estimate, observations: observations,
                         afterObservations: afterObservations, afterCalls: afterCalls, time: time)
        }
    }

    /// Every trial, in the order proposed.
    public private(set) var trials = [Trial]()
    private var index = [UInt64: Int]()
    /// The strategy's history: its outcomes in journal order, each propose call after the outcomes it had seen
    /// (journaled with the call; in older journals, its place in the journal).
    public private(set) var history = [Step]()
    /// Jobs whose result was accepted, in the order they came.
    public private(set) var accepted = [UInt64]()
    /// Every attempt, in dispatch order (job, position in its trial's `attempts`).
    public private(set) var dispatchOrder = [(job: UInt64, position: Int)]()
    /// The attempts whose report (result or failure) is in the journal.
    public private(set) var committed = Set<JobKey>()
    public private(set) var notes = [Note]()
    /// The strategy's recommendations in journal order (each one journaled when it changed); none in journals
    /// written before they were.
    public private(set) var recommendations = [Recommendation]()
    /// Propose calls made.
    public private(set) var calls = 0
    /// Trials that failed for good.
    public private(set) var failedCount = 0
    /// Final failures in a row since the last result (in journal order), the reason of the last, and the first
    /// `configuration` failure seen before any result (the settings cannot work).
    public private(set) var consecutiveFailures = 0
    public private(set) var lastFailureReason: String?
    public private(set) var configurationFailureBeforeAnyResult: (job: UInt64, reason: String)?
    /// The latest wall-clock time of any record (0 when none has one).
    public private(set) var lastTime = 0.0

    public init(_ records: [JournalRecord]) {
        var outcomes = [Step]()
        var callSteps = [(after: Int, step: Step)]()
        for record in records {
            switch record {
            case .proposed(let call, let jobs, let observed):
                for j in jobs where index[j.job] == nil {
                    index[j.job] = trials.count
                    trials.append(Trial(job: j.job, call: call, architecture: j.architecture, encoding: j.encoding))
                }
                callSteps.append((observed ?? outcomes.count, .proposed(call: call, jobs: jobs.map(\.job))))
                calls += 1
            case .dispatched(let job, let attempt, let worker, let key, let time):
                lastTime = max(lastTime, time)
                guard let i = index[job] else { continue }
                // An earlier attempt still open was lost: its lease ended with the coordinator that gave it.
                for k in trials[i].attempts.indices where trials[i].attempts[k].state == .running {
                    trials[i].attempts[k].state = .lost
                }
                trials[i].attempts.append(Attempt(number: attempt, worker: worker, key: key, dispatched: time, state: .running))
                dispatchOrder.append((job, trials[i].attempts.count - 1))
                if trials[i].state == .queued { trials[i].state = .running }
            case .progress(let job, let attempt, let progress):
                guard let i = index[job], let k = trials[i].attempts.lastIndex(where: { $0.number == attempt }) else { continue }
                trials[i].attempts[k].epochs.append(progress)
            case .result(let job, let attempt, let worker, let metrics, let time):
                lastTime = max(lastTime, time)
                committed.insert(JobKey(jobID: job, attempt: attempt))
                guard let i = index[job] else { continue }
                close(i, attempt: attempt, at: time, .done)
                guard trials[i].state != .done else { continue }  // a duplicate: the first result counts
                trials[i].state = .done
                trials[i].result = Accepted(attempt: attempt, worker: worker, metrics: metrics, time: time)
                accepted.append(job)
                consecutiveFailures = 0
                outcomes.append(.observed(job: job, value: metrics.validationError))
            case .failure(let job, let attempt, _, let reason, let failureClass, let final, let time):
                lastTime = max(lastTime, time)
                committed.insert(JobKey(jobID: job, attempt: attempt))
                guard let i = index[job] else { continue }
                let failure = Failure(reason: reason, failureClass: failureClass, final: final)
                close(i, attempt: attempt, at: time, .failed, failure: failure)
                trials[i].lastFailure = failure
                if failureClass != .data && failureClass != .configuration { trials[i].chargedFailures += 1 }
                guard final, trials[i].state != .done, trials[i].state != .failed else {
                    if trials[i].state == .running && trials[i].openAttempt == nil { trials[i].state = .queued }
                    continue
                }
                trials[i].state = .failed
                failedCount += 1
                consecutiveFailures += 1
                lastFailureReason = reason
                if failureClass == .configuration && accepted.isEmpty { configurationFailureBeforeAnyResult = (job, reason) }
                outcomes.append(.observed(job: job, value: nil))
            case .note(let worker, let message, let time):
                lastTime = max(lastTime, time)
                notes.append(Note(worker: worker, message: message, time: time))
            case .recommended(let architecture, let estimate, let observations, let afterObservations, let afterCalls, let time):
                // Not a strategy event: the history (what a resume replays) leaves it out.
                lastTime = max(lastTime, time)
                recommendations.append(Recommendation(architecture: architecture, estimate: estimate, observations: observations,
                                                      afterObservations: afterObservations, afterCalls: afterCalls, time: time))
            }
        }
        var next = 0
        for (position, outcome) in outcomes.enumerated() {
            while next < callSteps.count, callSteps[next].after <= position {
                history.append(callSteps[next].step)
                next += 1
            }
            history.append(outcome)
        }
        history += callSteps[next...].map(\.step)
    }

    private mutating func close(_ i: Int, attempt: Int, at time: Double, _ state: AttemptState, failure: Failure? = nil) {
        guard let k = trials[i].attempts.lastIndex(where: { $0.number == attempt }),
              trials[i].attempts[k].state == .running else { return }
        trials[i].attempts[k].state = state
        trials[i].attempts[k].ended = time
        trials[i].attempts[k].failure = failure
    }

    /// The trial of `job`.
    public subscript(job job: UInt64) -> Trial? { index[job].map { trials[$0] } }

    /// The highest job id proposed (0 when none).
    public var lastJobID: UInt64 { trials.map(\.job).max() ?? 0 }

    /// Trials per state.
    public var counts: [TrialState: Int] { Dictionary(grouping: trials, by: \.state).mapValues(\.count) }

    /// The cell the strategy recommends now: its latest recommendation (nil before the first, and in older journals).
    public var recommendation: Recommendation? { recommendations.last }

    /// The trials of `architecture` (a cell trained more than once has several), in the order proposed.
    public func trials(of architecture: String) -> [Trial] { trials.filter { $0.architecture == architecture } }

    /// The accepted trial with the lowest validation error (the earliest on a tie), of those trained to the end
    /// (early stopping's stopped cells reported an error after a few epochs only).
    public var best: Trial? { best(where: { _ in true }) }

    /// The best of the results `counts` keeps (a study's limits on measures known only after evaluation: a
    /// result that breaks them is never the best).
    public func best(where counts: (Metrics) -> Bool) -> Trial? {
        accepted.compactMap { self[job: $0] }.filter { $0.result!.metrics.stoppedAtEpoch == nil && counts($0.result!.metrics) }
            .min { $0.result!.metrics.validationError < $1.result!.metrics.validationError }
    }

    /// Trials early stopping stopped, in the order their results came.
    public var stopped: [Trial] {
        accepted.compactMap { self[job: $0] }.filter { $0.result?.metrics.stoppedAtEpoch != nil }
    }
}
