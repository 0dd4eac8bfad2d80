import ANASOD
import BayesOpt

/// ANASOD-BO (arXiv 2111.04670, Algorithm 2), batched and asynchronous: a GP on the operation-distribution
/// simplex, its acquisition maximised over a pool of encodings drawn from Dir(k·β·p~* + 1), β under
/// TuRBO-style trust control, and pending evaluations accounted for by the `PendingPolicy`.
///
/// 1. The first `initialEvaluations` proposals are ANASOD-RS draws (Dir(1)).
/// 2. Each call fits (on schedule) the encoding GP: inputs the encodings of the successful observations
///    (one simplex per cell type, concatenated), targets warped and standardised; repeated encodings are
///    folded exactly (`GPData`).
/// 3. The pool is the incumbent's encoding plus `poolSize` Dirichlet draws rounded to the grid,
///    de-duplicated; an encoding may be picked as many times as it has unproposed cells (several cells of
///    one encoding are independent draws around its mean); exhausted encodings are left out.
/// 4. q encodings are picked by the acquisition (log-EI of a new observation by default) with the pending
///    policy (kriging believer by default), and each is decoded into a cell not yet proposed:
///    uniformly at random (`.random`, the paper) or, with `withinEncoding: .cellModel` (two-stage, beyond
///    the paper), the cell of that encoding with the highest EI under a second GP on one-hot cell features.
/// 5. Each successful observation updates the trust region (improved incumbent or not); failures are kept
///    out of the GP (they are never re-proposed).
public struct ANASODBO: SearchStrategy {
    public enum WithinEncoding: String, Sendable, Hashable {
        /// A uniformly random unproposed cell of the chosen encoding (the paper).
        case random
        /// The cell with the highest EI under a cell-level GP on one-hot features (two-stage).
        case cellModel
    }

    /// Whether the acquisition weighs what a cell costs (`CostModel`).
    public enum CostAwareness: String, Sendable, Hashable {
        /// Expected improvement alone: every evaluation counts the same.
        case none
        /// EI per expected second, EI/c(x) (Snoek et al. 2012).
        case eips
        /// EI/c(x)^α with α fading from 1 after the initial design to 0 at `budget` evaluations (CArBO's cost
        /// cooling, Lee et al. 2020): cheap cells first, then what the remaining budget buys best.
        case carbo
    }

    public struct Configuration: Sendable, Hashable {
        public var initialEvaluations = 6
        public var poolSize = 500
        public var acquisition: AcquisitionKind = .expectedImprovement
        public var pending: PendingPolicy = .krigingBeliever
        public var surrogate = Surrogate.Configuration()
        public var trustRegion = TrustRegion()
        public var withinEncoding: WithinEncoding = .random
        /// The share of each batch picked from a pool of uniform Dir(1) draws (exploration) rather than the
        /// trust region's; 0: none.
        public var explorationShare = 0.0
        /// How the acquisition weighs the predicted cost of an encoding's cells.
        public var cost: CostAwareness = .none
        /// The evaluations a study will make (CArBO's schedule ends there); nil: α stays 1.
        public var budget: Int?
        /// `anasod-bo-2s` trains a cell again while it has fewer than this many runs, when its rank against
        /// the recommendation is in doubt (`retrainPick`); 1: never (the default of `ANASODBO.Configuration`;
        /// the strategy name `anasod-bo-2s` sets 2).
        public var retrainRuns = 1
        /// The probability that a rival is truly better than the recommendation above which the two are
        /// in doubt.
        public var retrainDoubt = 0.25
        /// The largest share of evaluations that may be retrains.
        public var retrainShare = 0.2
        /// The within-encoding GP's settings.
        public var cellSurrogate = Surrogate.Configuration(refitGrowth: 0.1, defaultLengthscale: 2, maxConditionPoints: 512)
        /// How a study with several objectives is searched (`ANASODBO+Pareto`).
        public var severalObjectives: SeveralObjectives = .ehvi

        public init() {}

        /// Sets one option by name (`StrategyFactory`'s `anasod-bo[KEY=VALUE,…]`).
        /// - Throws: `SearchError.invalidConfiguration` naming an unknown key or a bad value.
        public mutating func apply(_ key: String, _ value: String) throws {
            func fail() -> SearchError { SearchError(.invalidConfiguration, "anasod-bo option \(key)=\(value) is not valid") }
            func int() throws -> Int { guard let v = Int(value), v >= 0 else { throw fail() }; return v }
            func double() throws -> Double { guard let v = Double(value), v.isFinite, v >= 0 else { throw fail() }; return v }
            switch key {
            case "pending":
                switch value {
                case "kb": pending = .krigingBeliever
                case "lp": pending = .localPenalization
                case "cl-min": pending = .constantLiar(.min)
                case "cl-mean": pending = .constantLiar(.mean)
                case "cl-max": pending = .constantLiar(.max)
                case "ts": pending = .thompson
                case "qei": pending = .qEI
                default: throw fail()
                }
            case "pool": poolSize = max(1, try int())
            case "init": initialEvaluations = try int()
            case "within":
                guard let v = WithinEncoding(rawValue: value) else { throw fail() }
                withinEncoding = v
            case "succ": trustRegion.successTolerance = max(1, try int())
            case "fail": trustRegion.failureTolerance = max(1, try int())
            case "maxbeta": trustRegion.maxBeta = try double()
            case "refit": surrogate.refitGrowth = try double()
            case "cost":
                guard let v = CostAwareness(rawValue: value) else { throw fail() }
                cost = v
            case "budget": budget = max(1, try int())
            case "retrain": retrainRuns = max(1, try int())
            case "doubt":
                retrainDoubt = try double()
                guard retrainDoubt < 1 else { throw fail() }
            case "retrain-share":
                retrainShare = try double()
                guard retrainShare <= 1 else { throw fail() }
            case "mo":
                guard let v = SeveralObjectives(rawValue: value) else { throw fail() }
                severalObjectives = v
            case "split":
                explorationShare = try double()
                guard explorationShare <= 1 else { throw fail() }
            default:
                throw SearchError(.invalidConfiguration, "unknown anasod-bo option '\(key)' (pending: kb, lp, cl-min, cl-mean, cl-max, ts, qei; cost: none, eips, carbo; mo: ehvi, parego; pool, init, within, succ, fail, maxbeta, refit, split, budget, retrain, doubt, retrain-share)")
            }
        }
    }

    public let configuration: Configuration
    public let name: String
    public private(set) var history: StrategyHistory
    public private(set) var trustRegion: TrustRegion
    var surrogate: Surrogate
    var cellSurrogate: Surrogate
    var costModel = CostModel()
    /// The probability of keeping to constraints known only after evaluation (`OutcomeModel`).
    var outcomeModel = OutcomeModel()
    /// The same on the cells' one-hot features, for the within-encoding step of `anasod-bo-2s`.
    var cellOutcomeModel = OutcomeModel(salt: 0x0C0E11)
    /// The objectives after the value, known before training (`pursue(measures:)`); empty: one objective.
    var objectives: [(name: String, measure: Feasibility.Measure)] = []
    let cellFeatures: CellFeatures
    /// Propose calls whose encoding GP could not be fitted (their proposals were ANASOD-RS draws), picks
    /// whose cell-level GP could not be fitted (a random cell of the encoding instead), and batches whose
    /// joint posterior could not be factored for `.thompson` or `.qEI` (`BatchSelection.Fallback`).
    public internal(set) var fallbacks = 0
    var notes = FallbackNotes()

    public init(space: any SearchSpace, seed: UInt64, configuration: Configuration = .init(), name: String? = nil) {
        self.name = name ?? (configuration.withinEncoding == .cellModel ? "anasod-bo-2s" : "anasod-bo")
        history = StrategyHistory(space: space, seed: seed)
        self.configuration = configuration
        trustRegion = configuration.trustRegion
        surrogate = Surrogate(configuration: configuration.surrogate, salt: 0xB0)
        cellSurrogate = Surrogate(configuration: configuration.cellSurrogate, salt: 0xCE11)
        cellFeatures = CellFeatures(space: space)
    }

    var inInitialDesign: Bool {
        history.successes.count < configuration.initialEvaluations
            || Set(history.successes.map { history.space.counts(of: $0.architecture) }).count < 2
    }

    public mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        history.record(pending)
        var rng = history.beginCall()
        advanceSchedules()
        var out = [Proposal]()
        if objectives.isEmpty, count + pending.count <= Self.largeBatch, let again = retrainPick(pending: pending) { out.append(again) }
        if !inInitialDesign && out.count < count {
            do {
                let model = try encodingModel()
                out += objectives.isEmpty
                    ? proposeByModel(count: count - out.count, pending: pending, model: model, using: &rng)
                    : proposeOnFront(count: count - out.count, pending: pending, model: model, using: &rng)
            } catch {
                fallbacks += 1
                notes.add("\(name): the encoding GP could not be fitted on \(history.successes.count) results (\(error)); "
                          + "this call's \(count) proposal(s) are ANASOD-RS draws instead")
            }
        }
        if out.count < count {
            var fill = history
            fill.record(out)
            out += DirichletSampling.propose(count: count - out.count, alpha: DirichletSampling.uniform(history.space),
                                             history: fill, using: &rng)
        }
        history.record(out)
        return out
    }

    public mutating func restore(proposed proposals: [Proposal]) {
        _ = history.beginCall()
        advanceSchedules()
        history.record(proposals)
    }

    public mutating func takeNotes() -> [String] { notes.take() }

    public mutating func constrain(to feasibility: Feasibility) { history.feasibility = feasibility }

    public mutating func observe(_ observation: Observation) {
        let improved = history.record(observation)
        guard observation.value?.isFinite == true, history.successes.count > configuration.initialEvaluations else { return }
        trustRegion.update(improved: improved)
    }

    mutating func advanceSchedules() {
        guard !inInitialDesign else { return }
        surrogate.advance(successes: history.successes.count)
        if configuration.withinEncoding == .cellModel { cellSurrogate.advance(successes: history.successes.count) }
        if configuration.cost != .none { costModel.advance(history) }
        if !history.feasibility.outcomeConstraints.isEmpty {
            outcomeModel.advance(history)
            if configuration.withinEncoding == .cellModel { cellOutcomeModel.advance(history) }
        }
    }

    /// The incumbent's target for the acquisition: the least among the results that keep to the constraints known
    /// only after evaluation (constrained EI, Gardner et al. 2014); the greatest target while none does.
    func feasibleBest(_ model: Surrogate.Model) -> Double {
        guard !history.violating.isEmpty else { return model.best }
        let kept = model.targets.indices.filter { !history.violating.contains($0) }.map { model.targets[$0] }
        return kept.min() ?? model.targets.max() ?? model.best
    }

    /// log P(each of `cells` keeps to the constraints known only after evaluation) under the cell-level model; nil
    /// without such constraints, or (with a note) when their model cannot be fitted.
    mutating func cellOutcomeLogProbability(_ cells: [Architecture]) -> [Double]? {
        guard !history.feasibility.outcomeConstraints.isEmpty else { return nil }
        var points = [Double]()
        for cell in cells { points += cellFeatures.vector(cell) }
        do {
            return try cellOutcomeModel.logProbability(at: points, count: cells.count, history: history, features: cellFeatures.vector)
        } catch {
            fallbacks += 1
            notes.add("\(name): the cell-level model of the constraints measured in evaluation could not be fitted (\(error)); "
                      + "this pick ignores them")
            return nil
        }
    }

    /// log P(a cell of each encoding keeps to the constraints known only after evaluation); nil without such
    /// constraints, or (with a note) when their model cannot be fitted.
    mutating func outcomeLogProbability(at pool: [[[Int]]]) -> [Double]? {
        guard !history.feasibility.outcomeConstraints.isEmpty else { return nil }
        do {
            return try outcomeModel.logProbability(at: pool, history: history)
        } catch {
            fallbacks += 1
            notes.add("\(name): the model of the constraints measured in evaluation could not be fitted (\(error)); "
                      + "this call's acquisition ignores them")
            return nil
        }
    }

    /// The exponent α of the cost in EI/c(x)^α now.
    var costExponent: Double {
        switch configuration.cost {
        case .none: return 0
        case .eips: return 1
        case .carbo:
            guard let budget = configuration.budget else { return 1 }
            let start = Double(configuration.initialEvaluations)
            let span = Double(budget) - start
            guard span > 0 else { return 0 }
            return min(max((Double(budget) - Double(history.observations.count)) / span, 0), 1)
        }
    }

    mutating func encodingModel() throws -> Surrogate.Model {
        try surrogate.model(features: history.successes.map { history.space.encode($0.architecture).vector },
                            values: history.successes.map(\.value), seed: history.seed)
    }

    /// Steps 3–4: pick encodings from the pool, then one cell for each.
    mutating func proposeByModel(count: Int, pending: [Proposal], model: Surrogate.Model,
                                 using rng: inout SeededGenerator) -> [Proposal] {
        let space = history.space
        let slots = space.slotsPerCell
        let incumbent = space.encode(history.incumbent!.architecture)
        var pool = [[[Int]]]()
        var seen = Set<[[Int]]>()
        func add(_ counts: [[Int]]) {
            guard seen.insert(counts).inserted, history.remaining(counts: counts) > 0 else { return }
            pool.append(counts)
        }
        add(incumbent.counts(slots: slots))
        for beta in [trustRegion.beta, 0] {
            let alpha = DirichletSampling.concentrated(around: incumbent, beta: beta)
            for _ in 0..<configuration.poolSize {
                add(DirichletSampling.drawCounts(alpha: alpha, space: space, using: &rng))
            }
            if pool.count >= 2 * count || trustRegion.beta == 0 { break }  // widen only a collapsed pool
        }
        // The exploration pool of a split batch: uniform draws (they may coincide with trust-region ones).
        var exploring = [Bool](repeating: false, count: pool.count)
        if configuration.explorationShare > 0 && count > 1 {
            let uniform = DirichletSampling.concentrated(around: incumbent, beta: 0)
            var marked = Set<[[Int]]>()
            for _ in 0..<configuration.poolSize {
                let counts = DirichletSampling.drawCounts(alpha: uniform, space: space, using: &rng)
                add(counts)
                marked.insert(counts)
            }
            exploring = pool.map { marked.contains($0) }
        }
        guard !pool.isEmpty else { return [] }

        // Pending cells folded by encoding (many share one): conditioned on once each, with their multiplicity.
        var pendingVectors = [[Double]]()
        var multiplicity = [Int]()
        var slotOf = [[Double]: Int]()
        for p in pending {
            let v = space.encode(p.architecture).vector
            if let k = slotOf[v] {
                multiplicity[k] += 1
            } else {
                slotOf[v] = pendingVectors.count
                pendingVectors.append(v)
                multiplicity.append(1)
            }
        }
        var points = [Double]()
        for counts in pool { points += ArchitectureEncoding.gridVector(counts) }
        for v in pendingVectors { points += v }
        let posterior = model.gp.posterior(at: points, count: pool.count + pendingVectors.count)
        let capacity = pool.map { Int(min(history.remaining(counts: $0), Double(count))) }
        var pendingPerEncoding = [[[Int]]: Int]()
        for p in pending { pendingPerEncoding[space.counts(of: p.architecture), default: 0] += 1 }
        var selector = BatchSelector(acquisition: configuration.acquisition.function, policy: configuration.pending,
                                     seed: [.thompson, .qEI].contains(configuration.pending) ? rng.next() : 0)
        let alpha = costExponent
        if alpha > 0 {
            do {
                selector.logOffsets = try costModel.logSeconds(at: pool, history: history).map { -alpha * $0 }
            } catch {
                fallbacks += 1
                notes.add("\(name): the cost model could not be fitted (\(error)); this call's acquisition ignores cost")
            }
        }
        if let logP = outcomeLogProbability(at: pool) {
            selector.logOffsets = selector.logOffsets.map { zip($0, logP).map(+) } ?? logP
        }
        let best = feasibleBest(model)
        let selection = selector.selection(count: count, posterior: posterior, candidateCount: pool.count,
                                           best: best, observed: model.targets, capacity: capacity,
                                           draws: pool.map { pendingPerEncoding[$0] ?? 0 },
                                           exploration: configuration.explorationShare > 0 && count > 1
                                               ? (exploring, configuration.explorationShare) : nil,
                                           pendingMultiplicity: multiplicity)
        let picks = selection.picks
        if notes.add(selection.fallback, strategy: name, batch: "\(count) over \(pool.count) encodings") { fallbacks += 1 }

        var out = [Proposal]()
        var chosen = Set<Architecture>()
        var cellModel: Surrogate.Model?
        // A large batch (hundreds of workers asking at once): the within-encoding step conditions its GP on at
        // most `largeBatchConditionPoints` observations and only on the pending cells of its own encoding, and
        // scores at most `largeBatchCandidates` cells of it, so that the cost of a pick does not grow with the
        // jobs in flight or the length of the study. Batches up to `largeBatch` are unchanged.
        let large = count + pending.count > Self.largeBatch
        if configuration.withinEncoding == .cellModel {
            do {
                cellModel = try cellSurrogate.model(features: history.successes.map { cellFeatures.vector($0.architecture) },
                                                    values: history.successes.map(\.value), seed: history.seed,
                                                    conditionLimit: large ? Self.largeBatchConditionPoints : nil)
            } catch {
                fallbacks += 1
                notes.add("\(name): the cell-level GP could not be fitted on \(history.successes.count) results (\(error)); "
                          + "this call's cells are drawn uniformly within their encodings instead")
            }
        }
        for j in picks {
            let arch: Architecture?
            if let cellModel {
                var others = pending.map(\.architecture) + Array(chosen)
                if large { others = others.filter { space.counts(of: $0) == pool[j] } }
                arch = bestCell(counts: pool[j], model: cellModel, best: best, pending: others, exclude: chosen,
                                limit: large ? Self.largeBatchCandidates : 5000, using: &rng)
            } else {
                arch = CellSampler.unseen(counts: pool[j], history: history, exclude: chosen, using: &rng)
            }
            guard let arch else { continue }
            chosen.insert(arch)
            out.append(history.proposal(arch))
        }
        return out
    }

    /// The cells of encoding `counts` that may be proposed and are not in `exclude`: all of them when the encoding
    /// holds at most `limit` cells, else those among `decodes` random decodes (each once).
    func openCells(of counts: [[Int]], enumeratingUpTo limit: Int, decodes: Int, exclude: Set<Architecture> = [],
                   using rng: inout SeededGenerator) -> [Architecture] {
        if let all = history.space.allArchitectures(counts: counts, limit: limit) {
            return all.filter { history.isAvailable($0) && !exclude.contains($0) }
        }
        var set = Set<Architecture>()
        var found = [Architecture]()
        for _ in 0..<decodes {
            let arch = history.space.decode(counts: counts, using: &rng)
            if history.isAvailable(arch), !exclude.contains(arch), set.insert(arch).inserted { found.append(arch) }
        }
        return found
    }

    /// Jobs in flight plus proposals asked for beyond which a propose call is a large batch.
    static let largeBatch = 64
    /// Cells of one encoding scored per pick in a large batch.
    static let largeBatchCandidates = 64
    /// Observations the within-encoding GP is conditioned on in a large batch.
    static let largeBatchConditionPoints = 128

    /// The unproposed cell of encoding `counts` with the highest EI under the cell-level GP, with the
    /// pending cells conditioned on (kriging believer). Candidates: every cell of the encoding when it has
    /// at most `limit`, else 256 random decodes.
    mutating func bestCell(counts: [[Int]], model: Surrogate.Model, best: Double, pending: [Architecture], exclude: Set<Architecture>,
                  limit: Int = 5000, using rng: inout SeededGenerator) -> Architecture? {
        let candidates = openCells(of: counts, enumeratingUpTo: limit, decodes: min(256, limit), exclude: exclude, using: &rng)
        guard !candidates.isEmpty else { return nil }
        var points = [Double]()
        for arch in candidates + pending { points += cellFeatures.vector(arch) }
        let posterior = model.gp.posterior(at: points, count: candidates.count + pending.count)
        var selector = BatchSelector(acquisition: ExpectedImprovement(), policy: .krigingBeliever, includeNoise: false)
        selector.logOffsets = cellOutcomeLogProbability(candidates)
        let pick = selector.select(count: 1, posterior: posterior, candidateCount: candidates.count, best: best,
                                   observed: model.targets)
        return pick.first.map { candidates[$0] }
    }
}
