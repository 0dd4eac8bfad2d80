import ANASOD
import Foundation
import Journal
import Search
import Wire

/// Owns the search strategy on a thread of its own, so that fitting a GP never delays heartbeats or
/// dispatch. Work arrives in order (observations, propose calls) and is done in that order. It writes
/// nothing: the coordinator journals each outcome (and acknowledges it) before the strategy sees it, and
/// journals each propose call when its jobs come back, with the number of observations the strategy had
/// seen when it made the call, so that a replay rebuilds the strategy's exact history. Once the work queued
/// is done and it held observations (not after propose calls alone), it asks the strategy for its
/// recommendation and hands that back too, with its place in the history; the coordinator journals it when
/// it changed. Work already queued goes first; a propose call that arrives while a recommendation fits a GP waits for it
/// (the GP's fit is then cached for the call).
final class StrategyRunner: @unchecked Sendable {
    enum Work {
        case observe(Observation)
        case propose(count: Int, pending: [Proposal])
    }

    /// One propose call's jobs, numbered, and where in the strategy's history the call fell.
    struct Call {
        var call: Int
        /// Observations the strategy had taken before this call.
        var observed: Int
        var jobs: [(job: UInt64, proposal: Proposal)]
    }

    /// The strategy's recommendation after a batch of observations (nil before any success), and the
    /// observations taken and propose calls made when it was asked.
    struct Recommended {
        var recommendation: Recommendation?
        var observed: Int
        var calls: Int
    }

    private var strategy: any SearchStrategy
    private var nextJobID: UInt64
    private var call: Int
    private var observed: Int
    private let condition = NSCondition()
    private var work = [Work]()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)
    private let onProposals: @Sendable (Call) -> Void
    private let onRecommendation: @Sendable (Recommended) -> Void
    private let metrics: ClusterMetrics

    /// - Parameters:
    ///   - call: propose calls made so far (a resumed study's), `observed` observations taken so far.
    ///   - onProposals: each propose call's jobs, on the strategy's thread, in order.
    ///   - onRecommendation: the recommendation after observations, on the strategy's thread, once the work
    ///     queued is done.
    init(strategy: any SearchStrategy, nextJobID: UInt64, call: Int, observed: Int,
         metrics: ClusterMetrics = ClusterMetrics(study: ""), onProposals: @escaping @Sendable (Call) -> Void,
         onRecommendation: @escaping @Sendable (Recommended) -> Void = { _ in }) {
        self.strategy = strategy
        self.nextJobID = nextJobID
        self.call = call
        self.observed = observed
        self.onProposals = onProposals
        self.onRecommendation = onRecommendation
        self.metrics = metrics
        let thread = Thread { [self] in loop() }
        thread.name = "anasod.strategy"
        thread.start()
    }

    func submit(_ items: [Work]) {
        guard !items.isEmpty else { return }
        condition.lock()
        work += items
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
        var recommendationDue = false
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
            for item in batch {
                switch item {
                case .observe(let observation):
                    strategy.observe(observation)
                    observed += 1
                    recommendationDue = true
                case .propose(let count, let pending):
                    let started = DispatchTime.now().uptimeNanoseconds
                    let proposals = strategy.propose(count: count, pending: pending)
                    metrics.proposal.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
                    var jobs = [(job: UInt64, proposal: Proposal)]()
                    for p in proposals {
                        jobs.append((nextJobID, p))
                        nextJobID += 1
                    }
                    // Handed back even when empty: the call advanced the strategy's random stream and schedules,
                    // and a resume must replay it to rebuild the same state.
                    onProposals(Call(call: call, observed: observed, jobs: jobs))
                    call += 1
                }
            }
            // After the observations and once nothing else waits: work that came meanwhile goes first, and its
            // observations join this recommendation.
            if recommendationDue && condition.withLock({ work.isEmpty }) {
                recommendationDue = false
                onRecommendation(Recommended(recommendation: strategy.recommendation(), observed: observed, calls: call))
            }
        }
    }
}
