import ANASOD
import Foundation
import Journal
import Search
import Wire

/// Owns the search strategy on a thread of its own, so that fitting a GP never delays heartbeats or
/// dispatch. Work arrives in order (observations, propose calls); each batch of observations is journaled
/// in one transaction before the strategy sees it, and each propose call's jobs are journaled before they
/// are handed back, so the journal holds exactly the strategy's history in the strategy's order.
final class StrategyRunner: @unchecked Sendable {
    enum Work {
        case observe(job: UInt64, attempt: Int, worker: String, proposal: Proposal, outcome: CoordinatorAction.Outcome, time: Double)
        case propose(count: Int, pending: [Proposal])
    }

    private var strategy: any SearchStrategy
    private let journal: any Journal
    private let space: any SearchSpace
    private var nextJobID: UInt64
    private var call: Int
    private let condition = NSCondition()
    private var work = [Work]()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)
    private let onProposals: @Sendable ([(job: UInt64, proposal: Proposal)]) -> Void
    private let onError: @Sendable (Error) -> Void
    private let onCommitted: @Sendable ([JobKey]) -> Void
    private let metrics: ClusterMetrics

    /// - Parameter onCommitted: the (job, attempt) of each result and final failure once its transaction has
    ///   committed (the coordinator acknowledges them to their workers).
    init(strategy: any SearchStrategy, journal: any Journal, space: any SearchSpace, nextJobID: UInt64, call: Int,
         metrics: ClusterMetrics = ClusterMetrics(study: ""),
         onProposals: @escaping @Sendable ([(job: UInt64, proposal: Proposal)]) -> Void,
         onCommitted: @escaping @Sendable ([JobKey]) -> Void = { _ in },
         onError: @escaping @Sendable (Error) -> Void) {
        self.strategy = strategy
        self.journal = journal
        self.space = space
        self.nextJobID = nextJobID
        self.call = call
        self.onProposals = onProposals
        self.onError = onError
        self.onCommitted = onCommitted
        self.metrics = metrics
        let thread = Thread { [self] in loop() }
        thread.name = "anasod.strategy"
        thread.start()
    }

    func submit(_ item: Work) {
        condition.lock()
        work.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Finishes the queued work, then stops the thread (idempotent).
    func stop() {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.signal()
        condition.unlock()
        if first { done.wait() }
    }

    private func loop() {
        defer { done.signal() }
        while true {
            condition.lock()
            while work.isEmpty && !stopped { condition.wait() }
            if work.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = work
            work.removeAll()
            condition.unlock()
            do {
                try process(batch)
            } catch {
                onError(error)
                condition.lock()
                work.removeAll()
                condition.unlock()
                while true {  // stay alive until stop() so that it can return
                    condition.lock()
                    let over = stopped
                    condition.unlock()
                    if over { return }
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }
        }
    }

    private func process(_ batch: [Work]) throws {
        var index = 0
        while index < batch.count {
            // A run of observations: one transaction, then the strategy.
            var records = [JournalRecord]()
            var observations = [Observation]()
            var committed = [JobKey]()
            while index < batch.count, case .observe(let job, let attempt, let worker, let proposal, let outcome, let time) = batch[index] {
                switch outcome {
                case .result(let metrics):
                    records.append(.result(job: job, attempt: attempt, worker: worker, metrics: metrics, time: time))
                    observations.append(Observation(architecture: proposal.architecture, value: metrics.validationError))
                case .failure(let reason, let failureClass):
                    records.append(.failure(job: job, attempt: attempt, worker: worker, reason: reason, class: failureClass,
                                            final: true, time: time))
                    observations.append(Observation(architecture: proposal.architecture, value: nil))
                }
                committed.append(JobKey(jobID: job, attempt: attempt))
                index += 1
            }
            if !records.isEmpty {
                try journal.append(records)
                onCommitted(committed)
                for o in observations { strategy.observe(o) }
            }
            if index < batch.count, case .propose(let count, let pending) = batch[index] {
                let started = DispatchTime.now().uptimeNanoseconds
                let proposals = strategy.propose(count: count, pending: pending)
                metrics.proposal.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
                var jobs = [(job: UInt64, proposal: Proposal)]()
                for p in proposals {
                    jobs.append((nextJobID, p))
                    nextJobID += 1
                }
                // Journaled even when empty: the call advanced the strategy's random stream and schedules,
                // and a resume must replay it to rebuild the same state.
                try journal.append([.proposed(call: call, jobs: jobs.map {
                    .init(job: $0.job, architecture: space.format($0.proposal.architecture),
                          encoding: $0.proposal.encoding.parts.map(\.probabilities))
                })])
                call += 1
                onProposals(jobs)
                index += 1
            }
        }
    }
}
