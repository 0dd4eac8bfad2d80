import ANASOD
import Dispatch

/// A cluster simulated against the clock (the paper's Figure 3 plots GPU-seconds): `workers` workers,
/// each evaluation taking the time `duration` gives its cell, and proposals made whenever workers free,
/// with every running evaluation passed as pending — the coordinator's dispatch loop, with the strategy
/// code the coordinator runs. Simulated time only: the proposals' own compute time is not on the clock,
/// so the same seed gives the same run.
public struct ClusterSimulation: Sendable {
    public var space: any SearchSpace
    public var budget: Int
    public var workers: Int
    public var objective: @Sendable (Architecture) -> Double
    /// Simulated seconds one evaluation of a cell takes in the run of `seed` (deterministic in both).
    public var duration: @Sendable (Architecture, UInt64) -> Double

    public init(space: any SearchSpace, budget: Int, workers: Int, objective: @escaping @Sendable (Architecture) -> Double,
                duration: @escaping @Sendable (Architecture, UInt64) -> Double) {
        self.space = space
        self.budget = budget
        self.workers = max(1, workers)
        self.objective = objective
        self.duration = duration
    }

    /// One strategy on one seed: the best-so-far curve with the simulated time of each evaluation.
    public func run(strategy name: String, seed: UInt64) throws -> SearchBenchmark.Run {
        var strategy = try StrategyFactory.make(name, space: space, seed: seed, budget: budget, deterministic: true)
        var cache = [Architecture: Double]()
        var curve = [Double](), times = [Double]()
        var best = Double.infinity
        var calls = [(Int, Double)]()
        var observed = 0
        var clock = 0.0
        var idle = 0.0
        var lastEvent = 0.0
        // Running evaluations: when each ends, on which worker, what it evaluates.
        var running = [(end: Double, worker: Int, proposal: Proposal, value: Double)]()
        var free = Array(0..<workers)
        var repeatRounds = 0  // propose calls in a row answered only from the cache (bounded)
        while curve.count < budget {
            let wanted = min(free.count, budget - curve.count - running.count)
            if wanted > 0 && repeatRounds < 50 {
                let start = DispatchTime.now().uptimeNanoseconds
                let proposals = strategy.propose(count: wanted, pending: running.map(\.proposal))
                calls.append((observed, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                if proposals.isEmpty && running.isEmpty { break }  // the space is exhausted
                var placed = 0
                for proposal in proposals {
                    if let cached = cache[proposal.architecture] {
                        // A repeat is answered from the cache at once, costs no time and does not count.
                        strategy.observe(Observation(architecture: proposal.architecture, value: cached))
                        observed += 1
                        continue
                    }
                    let value = objective(proposal.architecture)
                    cache[proposal.architecture] = value
                    let worker = free.removeFirst()
                    running.append((clock + max(0, duration(proposal.architecture, seed)), worker, proposal, value))
                    placed += 1
                }
                if placed < proposals.count && placed < wanted {
                    repeatRounds += 1
                    continue  // ask again for the workers the repeats left free
                }
            }
            repeatRounds = 0
            guard let next = running.indices.min(by: { (running[$0].end, running[$0].worker) < (running[$1].end, running[$1].worker) })
            else { break }
            let done = running.remove(at: next)
            idle += Double(free.count) * (done.end - lastEvent)
            lastEvent = done.end
            clock = done.end
            best = min(best, done.value)
            curve.append(best)
            times.append(clock)
            strategy.observe(Observation(architecture: done.proposal.architecture, value: done.value))
            observed += 1
            free.append(done.worker)
            free.sort()
        }
        var run = SearchBenchmark.Run(strategy: name, seed: seed, curve: curve, proposeCalls: calls)
        run.times = times
        run.workers = workers
        run.idleShare = clock > 0 ? idle / (Double(workers) * clock) : 0
        return run
    }
}
