import ANASOD

/// Search as users pay for it (issue 26): every evaluation is one noisy training run drawn from a benchmark's
/// per-seed runs, costs that run's GPU seconds, and a strategy may train a cell again (another seed: another
/// draw, more seconds). `workers` asynchronous workers run against a simulated clock, proposals made whenever
/// workers free with the running evaluations pending, as the coordinator does.
///
/// Recorded per finished evaluation: the simulated wall-clock time, the GPU seconds spent so far, the best
/// validation error seen (the paper's Table 2 metric: the luckiest draw) and the true mean error of the cell
/// the strategy recommends now (the honest metric, `SearchStrategy.recommendation()`). Deterministic in the seed:
/// draws are seeded by (seed, cell, attempt), and the proposals' own compute time is not on the clock.
public struct NoisyRunsBenchmark: Sendable {
    /// One finished evaluation.
    public struct Point: Sendable {
        public var time: Double
        public var gpuSeconds: Double
        public var bestSeen: Double
        public var recommendedTrueError: Double
        /// With several objectives: the share of the box between the ideal and the reference point that the
        /// results so far dominate (normalised hypervolume, 0 … 1); 0 otherwise.
        public var hypervolume: Double = 0
    }

    public struct Run: Sendable {
        public var strategy: String
        public var seed: UInt64
        public var workers: Int
        public var points: [Point]
        /// Share of the GPU seconds spent on cells whose true error is worse than the space's median.
        public var wastedShare: Double
        /// Evaluations that trained a cell already trained in this run.
        public var retrains: Int
        /// Evaluations of cells that break the benchmark's constraints (issue 30): kept out of `bestSeen`.
        public var infeasible: Int = 0
        /// Whether the benchmark had constraints.
        public var constrained: Bool = false
        /// The objectives after the validation error (empty: one objective).
        public var objectives: [String] = []
    }

    public var space: any SearchSpace
    public var budget: Int
    public var workers: Int
    /// Run `attempt` of a cell in the benchmark run of `seed`: its validation error and GPU seconds.
    public var draw: @Sendable (Architecture, UInt64, Int) -> (error: Double, seconds: Double)
    /// A cell's true (mean over runs) validation error.
    public var trueError: @Sendable (Architecture) -> Double
    /// The median true error over the space (what "worse than the median" means).
    public var medianTrueError: Double
    /// The cells the study may train (issue 30): strategies are constrained to them, and only they count
    /// towards the best validation error seen.
    public var feasibility = Feasibility.unconstrained
    /// Objectives after the validation error (issue 30), known before training: strategies then run under
    /// ParEGO's scalarisations and the points record the hypervolume.
    public var objectives: [(name: String, measure: Feasibility.Measure)] = []
    /// The hypervolume's reference point and ideal point, one value per objective (the validation error first).
    public var reference: [Double] = []
    public var ideal: [Double] = []
    /// Measures the simulated worker reports with each result (a table's latency under `--measured`): what
    /// constraints known only after evaluation are checked against.
    public var measuredInEvaluation: [String: Feasibility.Measure] = [:]
    /// How ParEGO scales the objectives.
    public var scale = ParEGO.Scale.median

    public init(space: any SearchSpace, budget: Int, workers: Int, medianTrueError: Double,
                draw: @escaping @Sendable (Architecture, UInt64, Int) -> (error: Double, seconds: Double),
                trueError: @escaping @Sendable (Architecture) -> Double) {
        self.space = space
        self.budget = budget
        self.workers = max(1, workers)
        self.medianTrueError = medianTrueError
        self.draw = draw
        self.trueError = trueError
    }

    /// One strategy on one seed, until `budget` evaluations have finished (or the strategy stops proposing).
    public func run(strategy name: String, seed: UInt64) throws -> Run {
        var strategy: any SearchStrategy
        if objectives.isEmpty {
            strategy = try StrategyFactory.make(name, space: space, seed: seed, budget: budget)
        } else {
            let (space, budget) = (self.space, self.budget)
            strategy = try MultiObjectiveStrategy.make(name: name, seed: seed, measures: objectives, scale: scale) {
                try StrategyFactory.make(name, space: space, seed: seed, budget: budget)
            }
        }
        var results = ParetoFront.Running(reference: reference)
        let box = zip(reference, ideal).map { $0 - $1 }.reduce(1, *)
        if feasibility.isActive { strategy.constrain(to: feasibility) }
        var infeasible = 0
        var trained = [Architecture: Int]()  // attempts so far, running ones included
        var running = [(end: Double, worker: Int, proposal: Proposal, error: Double, seconds: Double)]()
        var free = Array(0..<workers)
        var points = [Point]()
        points.reserveCapacity(budget)
        var clock = 0.0, gpu = 0.0, wasted = 0.0
        var best = Double.infinity
        var started = 0, retrains = 0
        while points.count < budget {
            let wanted = min(free.count, budget - started)
            if wanted > 0 {
                let proposals = strategy.propose(count: wanted, pending: running.map(\.proposal))
                if proposals.isEmpty && running.isEmpty { break }  // the space is exhausted
                for proposal in proposals.prefix(wanted) {
                    let attempt = trained[proposal.architecture, default: 0]
                    if attempt > 0 { retrains += 1 }
                    trained[proposal.architecture] = attempt + 1
                    let (error, seconds) = draw(proposal.architecture, seed, attempt)
                    let worker = free.removeFirst()
                    running.append((clock + seconds, worker, proposal, error, seconds))
                    started += 1
                }
            }
            guard let next = running.indices.min(by: { (running[$0].end, running[$0].worker) < (running[$1].end, running[$1].worker) })
            else { break }
            let done = running.remove(at: next)
            clock = done.end
            gpu += done.seconds
            let truth = trueError(done.proposal.architecture)
            if truth > medianTrueError { wasted += done.seconds }
            let measured = measuredInEvaluation.mapValues { $0.value(done.proposal.architecture) }
            if (!feasibility.isConstrained || feasibility.allows(done.proposal.architecture))
                && feasibility.outcomeViolations(measured).isEmpty {
                best = min(best, done.error)
                if !objectives.isEmpty {
                    results.add([done.error] + objectives.map { $0.measure.value(done.proposal.architecture) })
                }
            } else {
                infeasible += 1
            }
            strategy.observe(Observation(architecture: done.proposal.architecture, value: done.error, seconds: done.seconds,
                                         measured: measured))
            let recommended = strategy.recommendation()?.architecture ?? done.proposal.architecture
            let volume = objectives.isEmpty || box <= 0 ? 0 : results.volume / box
            points.append(Point(time: clock, gpuSeconds: gpu, bestSeen: best, recommendedTrueError: trueError(recommended),
                                hypervolume: volume))
            free.append(done.worker)
            free.sort()
        }
        return Run(strategy: name, seed: seed, workers: workers, points: points, wastedShare: gpu > 0 ? wasted / gpu : 0,
                   retrains: retrains, infeasible: infeasible, constrained: feasibility.isActive,
                   objectives: objectives.map(\.name))
    }

    /// Every strategy × seed, `parallelism` runs at a time, in strategy-then-seed order.
    /// - Throws: the first error of any run (an unknown strategy is refused before any run starts).
    public func runAll(strategies: [String], seeds: Int, firstSeed: UInt64, parallelism: Int) throws -> [Run] {
        try SearchBenchmark.fanOut(strategies: strategies, seeds: seeds, firstSeed: firstSeed, parallelism: parallelism,
                                   space: space) { try self.run(strategy: $0, seed: $1) }
            .map { try $0.get() }
    }
}
