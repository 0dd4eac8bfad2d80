import ANASOD
import BayesOpt

/// The one-hot ("adjacency") GP-BO baseline: the same GP machinery as ANASOD-BO on `CellFeatures`, the
/// acquisition maximised over a pool of `poolSize` random unproposed cells plus every unproposed one-edge
/// mutation of the `mutatedParents` best cells (as BANANAS and NAS-BOWL build their pools).
public struct OneHotBO: SearchStrategy {
    public struct Configuration: Sendable, Hashable {
        public var initialEvaluations = 10
        public var poolSize = 200
        public var mutatedParents = 10
        public var acquisition: AcquisitionKind = .expectedImprovement
        public var pending: PendingPolicy = .krigingBeliever
        public var surrogate = Surrogate.Configuration(refitGrowth: 0.1, defaultLengthscale: 2)

        public init() {}
    }

    public var name: String { "onehot-bo" }
    public let configuration: Configuration
    public private(set) var history: StrategyHistory
    var surrogate: Surrogate
    let features: CellFeatures
    /// Propose calls whose GP could not be fitted (their proposals were random cells), and batches whose
    /// joint posterior could not be factored for `.thompson` or `.qEI` (`BatchSelection.Fallback`).
    public private(set) var fallbacks = 0
    var notes = FallbackNotes()

    public init(space: any SearchSpace, seed: UInt64, configuration: Configuration = .init()) {
        history = StrategyHistory(space: space, seed: seed)
        self.configuration = configuration
        surrogate = Surrogate(configuration: configuration.surrogate, salt: 0x0E)
        features = CellFeatures(space: space)
    }

    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        history.record(pending)
        var rng = history.beginCall()
        let ready = history.successes.count >= configuration.initialEvaluations
        if ready { surrogate.advance(successes: history.successes.count) }
        var out = [Proposal]()
        var model: Surrogate.Model?
        if ready {
            do {
                model = try surrogate.model(features: history.successes.map { features.vector($0.architecture) },
                                            values: history.successes.map(\.value), seed: history.seed)
            } catch {
                fallbacks += 1
                notes.add("\(name): the GP could not be fitted on \(history.successes.count) results (\(error)); "
                          + "this call's \(count) proposal(s) are random cells instead")
            }
        }
        if let model {
            var pool = [Architecture]()
            var set = Set<Architecture>()
            let parents = history.successes.sorted { $0.value < $1.value }.prefix(configuration.mutatedParents)
            for parent in parents {
                for arch in CellSampler.neighbours(of: parent.architecture, space: history.space)
                where history.isAvailable(arch) && set.insert(arch).inserted {
                    pool.append(arch)
                }
            }
            for _ in 0..<configuration.poolSize {
                if let arch = CellSampler.randomUnseen(history: history, exclude: set, using: &rng) {
                    set.insert(arch)
                    pool.append(arch)
                }
            }
            if !pool.isEmpty {
                var points = [Double]()
                for arch in pool + pending.map(\.architecture) { points += features.vector(arch) }
                let posterior = model.gp.posterior(at: points, count: pool.count + pending.count)
                let selector = BatchSelector(acquisition: configuration.acquisition.function, policy: configuration.pending,
                                             includeNoise: false)
                let selection = selector.selection(count: count, posterior: posterior, candidateCount: pool.count,
                                                   best: model.best, observed: model.targets)
                if notes.add(selection.fallback, strategy: name, batch: "\(count) over \(pool.count) cells") { fallbacks += 1 }
                out = selection.picks.map { history.proposal(pool[$0]) }
            }
        }
        var chosen = Set(out.map(\.architecture))
        while out.count < count, let arch = CellSampler.randomUnseen(history: history, exclude: chosen, using: &rng) {
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        history.record(out)
        return out
    }

    public mutating func restore(proposed proposals: [Proposal]) {
        _ = history.beginCall()
        if history.successes.count >= configuration.initialEvaluations { surrogate.advance(successes: history.successes.count) }
        history.record(proposals)
    }

    public mutating func observe(_ observation: Observation) {
        history.record(observation)
    }

    public mutating func takeNotes() -> [String] { notes.take() }

    /// The evaluated cell with the lowest posterior mean; the best seen before the GP is fitted, or when it
    /// cannot be (with a note).
    public mutating func constrain(to feasibility: Feasibility) { history.feasibility = feasibility }

    public mutating func recommendation() -> Recommendation? {
        guard history.successes.count >= configuration.initialEvaluations else { return history.bestSeenRecommendation }
        do {
            let model = try surrogate.model(features: history.successes.map { features.vector($0.architecture) },
                                            values: history.successes.map(\.value), seed: history.seed)
            return PosteriorRecommendation.lowestMean(history: history, model: model, features: features.vector)
        } catch {
            notes.add("\(name): no GP for the recommendation on \(history.successes.count) results (\(error)); the best seen instead")
            return history.bestSeenRecommendation
        }
    }
}
