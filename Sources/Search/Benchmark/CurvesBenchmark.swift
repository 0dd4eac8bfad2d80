import ANASOD

/// Early stopping replayed on a set of learning curves (issue 28, `anasod bench --curves`): W asynchronous
/// workers train the proposed cells epoch by epoch against a simulated clock (each epoch at the seconds its
/// curve says, one unit an epoch when it says none), the coordinator's rung rule (`RungLadder`) judging each
/// epoch's error as it arrives, until a budget of epochs is spent. Deterministic in the seed.
///
/// Proposals are restricted to the cells in the set: a proposal outside it, or already trained, is replaced by
/// an untrained cell of the set of the same operation counts (drawn by the seed), else of the nearest counts
/// (L1), and the strategy observes that cell — a strategy's exact cell choice is lost where the set is sparse,
/// its choice of operation distribution is kept as far as the set allows.
///
/// Recorded after every epoch: the epochs spent, the clock, and the best final error of the cells trained to the
/// end so far (the error a user would pick their cell by).
public struct CurvesBenchmark: Sendable {
    public typealias Curve = LearningCurve

    /// One point of a run: after `epochs` epochs (and `time` on the clock), the best final error seen.
    public struct Point: Sendable {
        public var epochs: Int
        public var time: Double
        public var best: Double
    }

    public struct Run: Sendable {
        public var strategy: String
        public var seed: UInt64
        public var workers: Int
        /// The stopping rule (`.off`: every cell to the end).
        public var rule: EarlyStopping.Rule
        public var earlyStopping: Bool { rule != .off }
        /// One point per change of `best` (and one at the end).
        public var points: [Point]
        public var cellsStarted: Int
        public var cellsStopped: Int
        /// Epochs spent on cells that were stopped.
        public var stoppedEpochs: Int

        /// The best final error after `epochs` epochs (infinity before any cell finished).
        public func best(after epochs: Int) -> Double { points.last { $0.epochs <= epochs }?.best ?? .infinity }
    }

    public let space: any SearchSpace
    public let curves: [Curve]
    /// The full training length (every curve has it).
    public let epochs: Int
    public let budgetEpochs: Int
    public let workers: Int
    /// The rung rule; nil: every cell trains for the full length.
    public let stopping: EarlyStopping?
    private let index: [Architecture: Int]
    private let byCounts: [[[Int]]: [Int]]

    public init(space: any SearchSpace, curves: [Curve], budgetEpochs: Int, workers: Int, stopping: EarlyStopping?) throws {
        guard let first = curves.first, curves.allSatisfy({ $0.errors.count == first.errors.count }) else {
            throw SearchError(.invalidConfiguration, "a curve set needs curves of one length")
        }
        self.space = space
        self.curves = curves
        epochs = first.errors.count
        self.budgetEpochs = budgetEpochs
        self.workers = max(1, workers)
        self.stopping = stopping
        index = Dictionary(curves.enumerated().map { ($0.element.architecture, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var byCounts = [[[Int]]: [Int]]()
        for (i, c) in curves.enumerated() { byCounts[space.counts(of: c.architecture), default: []].append(i) }
        self.byCounts = byCounts
    }

    /// The cell of the set trained for `proposal`: itself when in the set and untrained, else an untrained one of
    /// the same counts, else of the nearest counts; nil when every cell is taken.
    func substitute(_ proposal: Proposal, used: Set<Int>, rng: inout SeededGenerator) -> Int? {
        if let i = index[proposal.architecture], !used.contains(i) { return i }
        let counts = space.counts(of: proposal.architecture)
        func free(_ c: [[Int]]) -> [Int] { (byCounts[c] ?? []).filter { !used.contains($0) } }
        var candidates = free(counts)
        if candidates.isEmpty {
            var nearest = Int.max
            for c in byCounts.keys {
                let left = free(c)
                guard !left.isEmpty else { continue }
                let d = zip(c.joined(), counts.joined()).reduce(0) { $0 + abs($1.0 - $1.1) }
                if d < nearest {
                    nearest = d
                    candidates = left
                } else if d == nearest {
                    candidates += left
                }
            }
            candidates.sort()
        }
        guard !candidates.isEmpty else { return nil }
        return candidates[rng.nextInt(below: candidates.count)]
    }

    public func run(strategy name: String, seed: UInt64) throws -> Run {
        var strategy = try StrategyFactory.make(name, space: space, seed: seed, budget: budgetEpochs / max(1, epochs))
        var rng = SeededGenerator(seed: seed, stream: 0xC0_17E5)
        var ladder = stopping.map(RungLadder.init)
        struct Running { var job: Int; var cell: Int; var worker: Int; var start: Double; var epoch: Int; var proposal: Proposal }
        var running = [Running]()
        var free = Array(0..<workers)
        var used = Set<Int>()
        var spent = 0, started = 0, stoppedCells = 0, stoppedEpochs = 0
        var clock = 0.0
        var best = Double.infinity
        var points = [Point]()
        var exhausted = false
        while spent < budgetEpochs {
            if !free.isEmpty && !exhausted {
                let proposals = strategy.propose(count: free.count, pending: running.map(\.proposal))
                for p in proposals.prefix(free.count) {
                    guard let cell = substitute(p, used: used, rng: &rng) else { break }
                    used.insert(cell)
                    let a = curves[cell].architecture
                    running.append(Running(job: started, cell: cell, worker: free.removeFirst(), start: clock, epoch: 0,
                                           proposal: Proposal(architecture: a, encoding: space.encode(a))))
                    started += 1
                }
                if used.count == curves.count || proposals.isEmpty { exhausted = used.count == curves.count || running.isEmpty }
            }
            // The next epoch to end (ties: the lowest worker).
            guard let n = running.indices.min(by: {
                let a = running[$0], b = running[$1]
                return (a.start + curves[a.cell].seconds(after: a.epoch + 1), a.worker)
                    < (b.start + curves[b.cell].seconds(after: b.epoch + 1), b.worker)
            }) else { break }
            running[n].epoch += 1
            let r = running[n]
            let curve = curves[r.cell]
            clock = r.start + curve.seconds(after: r.epoch)
            spent += 1
            let error = curve.errors[r.epoch - 1]
            var stop = false
            if ladder != nil, case .stop = ladder!.report(job: UInt64(r.job), epoch: r.epoch, error: error) { stop = true }
            if stop || r.epoch == epochs {
                running.remove(at: n)
                free.append(r.worker)
                free.sort()
                let rungErrors = ladder?.errors(of: UInt64(r.job)) ?? [:]
                if stop {
                    stoppedCells += 1
                    stoppedEpochs += r.epoch
                    strategy.observe(Observation(architecture: curve.architecture, value: error, seconds: curve.seconds(after: r.epoch),
                                                 stoppedAtEpoch: r.epoch, rungErrors: rungErrors))
                } else {
                    strategy.observe(Observation(architecture: curve.architecture, value: error, seconds: curve.seconds(after: r.epoch),
                                                 rungErrors: rungErrors))
                    ladder?.finished(job: UInt64(r.job), error: error)
                    if error < best {
                        best = error
                        points.append(Point(epochs: spent, time: clock, best: best))
                    }
                }
            }
        }
        points.append(Point(epochs: spent, time: clock, best: best))
        return Run(strategy: name, seed: seed, workers: workers, rule: stopping?.rule ?? .off, points: points,
                   cellsStarted: started, cellsStopped: stoppedCells, stoppedEpochs: stoppedEpochs)
    }

    /// Every strategy × seed, `parallelism` runs at a time, in strategy-then-seed order.
    public func runAll(strategies: [String], seeds: Int, firstSeed: UInt64, parallelism: Int) throws -> [Run] {
        try SearchBenchmark.fanOut(strategies: strategies, seeds: seeds, firstSeed: firstSeed, parallelism: parallelism,
                                   space: space) { try self.run(strategy: $0, seed: $1) }
            .map { try $0.get() }
    }
}
