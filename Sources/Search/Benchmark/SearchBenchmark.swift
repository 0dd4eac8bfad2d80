import ANASOD
import Dispatch
import Foundation

/// Runs strategies against a cheap objective (a benchmark-table look-up) in-process: strategies × seeds,
/// in parallel on every core, each run a loop of batch proposals until `budget` distinct cells are
/// evaluated. A repeated cell is answered from the run's cache and not counted.
public struct SearchBenchmark: Sendable {
    /// One strategy on one seed.
    public struct Run: Sendable {
        public var strategy: String
        public var seed: UInt64
        /// Best value after 1, 2, …, budget distinct evaluations.
        public var curve: [Double]
        /// Wall-clock seconds of each propose call and the successful observations it saw.
        public var proposeCalls: [(observations: Int, seconds: Double)]
        /// Simulated clock runs (`ClusterSimulation`): when each of the curve's evaluations ended, the
        /// workers simulated, and the share of worker time spent idle.
        public var times: [Double]?
        public var workers: Int?
        public var idleShare: Double?

        public init(strategy: String, seed: UInt64, curve: [Double], proposeCalls: [(observations: Int, seconds: Double)]) {
            self.strategy = strategy
            self.seed = seed
            self.curve = curve
            self.proposeCalls = proposeCalls
        }
    }

    public var space: any SearchSpace
    public var budget: Int
    public var batch: Int
    public var objective: @Sendable (Architecture) -> Double

    public init(space: any SearchSpace, budget: Int, batch: Int, objective: @escaping @Sendable (Architecture) -> Double) {
        self.space = space
        self.budget = budget
        self.batch = max(1, batch)
        self.objective = objective
    }

    /// Runs one strategy on one seed.
    public func run(strategy name: String, seed: UInt64) throws -> Run {
        var strategy = try StrategyFactory.make(name, space: space, seed: seed, budget: budget, deterministic: true)
        var cache = [Architecture: Double]()
        var curve = [Double]()
        curve.reserveCapacity(budget)
        var best = Double.infinity
        var calls = [(Int, Double)]()
        var observed = 0
        while curve.count < budget {
            let start = DispatchTime.now().uptimeNanoseconds
            let proposals = strategy.propose(count: min(batch, budget - curve.count), pending: [])
            calls.append((observed, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            if proposals.isEmpty { break }  // the space is exhausted
            for proposal in proposals {
                let value: Double
                if let cached = cache[proposal.architecture] {
                    value = cached
                } else {
                    value = objective(proposal.architecture)
                    cache[proposal.architecture] = value
                    best = min(best, value)
                    if curve.count < budget { curve.append(best) }
                }
                strategy.observe(Observation(architecture: proposal.architecture, value: value))
                observed += 1
            }
        }
        return Run(strategy: name, seed: seed, curve: curve, proposeCalls: calls)
    }

    /// Runs every strategy on seeds `firstSeed ..< firstSeed + seeds`, `parallelism` runs at a time.
    public func runAll(strategies: [String], seeds: Int, firstSeed: UInt64 = 0, parallelism: Int) throws -> [Run] {
        try Self.runAll(strategies: strategies, seeds: seeds, firstSeed: firstSeed, parallelism: parallelism, space: space) {
            try self.run(strategy: $0, seed: $1)
        }
    }

    /// Runs `body` for every strategy × seed, `parallelism` at a time, results in strategy-then-seed order.
    /// - Throws: the first error of any run (a table without a proposed cell, …): a run left out would move
    ///   the means quietly.
    public static func runAll(strategies: [String], seeds: Int, firstSeed: UInt64, parallelism: Int, space: any SearchSpace,
                              _ body: @escaping @Sendable (String, UInt64) throws -> Run) throws -> [Run] {
        try fanOut(strategies: strategies, seeds: seeds, firstSeed: firstSeed, parallelism: parallelism, space: space, body)
            .map { try $0.get() }
    }

    /// Runs `body` for every strategy × seed, `parallelism` at a time, on a concurrent queue; the outcomes in
    /// strategy-then-seed order. Unknown strategy names are refused before anything runs.
    public static func fanOut<R: Sendable>(strategies: [String], seeds: Int, firstSeed: UInt64, parallelism: Int,
                                           space: any SearchSpace,
                                           _ body: @escaping @Sendable (String, UInt64) throws -> R) throws -> [Result<R, Error>] {
        for name in strategies { _ = try StrategyFactory.make(name, space: space, seed: 0) }  // validate names first
        let jobs = strategies.flatMap { name in (0..<seeds).map { (name, firstSeed + UInt64($0)) } }
        let results = ResultBox<R>(count: jobs.count)
        let queue = DispatchQueue(label: "anasod.bench", attributes: .concurrent)
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: max(1, parallelism))
        for (index, job) in jobs.enumerated() {
            slots.wait()
            queue.async(group: group) {
                defer { slots.signal() }
                results.set(index, Result { try body(job.0, job.1) })
            }
        }
        group.wait()
        return results.values.map { $0! }
    }
}

/// Results written from several threads, one slot each.
final class ResultBox<R: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<R, Error>?]

    init(count: Int) {
        values = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Result<R, Error>) {
        lock.withLock { values[index] = value }
    }
}
