import ANASOD

/// One suggestion: a concrete architecture and the encoding it was drawn for (its exact op counts / N).
public struct Proposal: Hashable, Sendable {
    public var architecture: Architecture
    public var encoding: ArchitectureEncoding

    public init(architecture: Architecture, encoding: ArchitectureEncoding) {
        self.architecture = architecture
        self.encoding = encoding
    }
}

/// A finished evaluation: the objective (validation error, lower is better), or nil when it failed, and
/// the seconds its training took where the evaluator measured them (what a cost model learns from).
public struct Observation: Hashable, Sendable {
    public var architecture: Architecture
    public var value: Double?
    /// Seconds the evaluation cost (a trainer's wall clock, a benchmark's GPU seconds); nil when unknown.
    public var seconds: Double?
    /// Set when early stopping stopped the cell at this epoch (issue 28): `value` is then its validation error
    /// there, not after full training. Strategies see it on the full-training scale (`StrategyHistory`).
    public var stoppedAtEpoch: Int?
    /// The cell's validation errors at the rungs it reached, by epoch (empty without early stopping): what maps
    /// a stopped cell's error onto the full-training scale.
    public var rungErrors: [Int: Double]
    /// Measures taken during the evaluation, by name (a worker's latency, a trainer's peak memory): what
    /// constraints known only after evaluation are checked against (`Feasibility.outcomeConstraints`).
    public var measured: [String: Double]

    public init(architecture: Architecture, value: Double?, seconds: Double? = nil, stoppedAtEpoch: Int? = nil,
                rungErrors: [Int: Double] = [:], measured: [String: Double] = [:]) {
        self.architecture = architecture
        self.value = value
        self.seconds = seconds
        self.stoppedAtEpoch = stoppedAtEpoch
        self.rungErrors = rungErrors
        self.measured = measured
    }
}

/// One step of a strategy's history, as a journal records it.
public enum StrategyEvent: Hashable, Sendable {
    /// The proposals of one `propose` call.
    case proposed([Proposal])
    /// One finished evaluation.
    case observed(Observation)
}

/// An ask/tell search strategy that knows about pending evaluations (Optuna's sampler hooks, BoTorch's
/// `X_pending`).
///
/// Contract:
/// - `propose(count:pending:)` returns up to `count` distinct proposals, never an architecture pending or
///   proposed before, so no cell is paid for twice by accident — except a *retrain*: a cell whose result
///   the strategy has already observed, proposed again on purpose to be trained with another training
///   seed (a noisy objective's repeat; ANASOD-BO's `retrain` option). Callers give every proposal its own
///   job, repeats included.
/// - The state is a pure function of the sequence of events (propose calls and their results, and
///   observations, in order) and the seed: `restore(proposed:)` replays a propose call without
///   recomputing it, so replaying a journal rebuilds the exact state, and the same seed gives the same
///   proposals.
public protocol SearchStrategy: Sendable {
    /// The strategy's name (`anasod-bo`, `rs`, …).
    var name: String { get }
    /// Suggests up to `count` architectures to evaluate next, given those still being evaluated.
    mutating func propose(count: Int, pending: [Proposal]) -> [Proposal]
    /// Replays a propose call that returned `proposals`.
    mutating func restore(proposed proposals: [Proposal])
    /// Takes a finished evaluation (or a failure, `value == nil`).
    mutating func observe(_ observation: Observation)
    /// What the strategy did since it was last asked that its caller should log: a fallback it took (a GP
    /// that could not be fitted, and the random proposals made instead). Emptied by the call. Default: none.
    mutating func takeNotes() -> [String]
    /// The cell the strategy recommends now (`Recommendation`): for the BO strategies the evaluated cell
    /// with the lowest posterior mean, for the others the best seen. Nil before any success. Does not
    /// change what the strategy proposes next.
    mutating func recommendation() -> Recommendation?
    /// Restricts proposals to the cells `feasibility` allows (issue 30): set before the first propose call.
    mutating func constrain(to feasibility: Feasibility)
    /// Takes `measures`, known before training, as objectives to minimise beside the value (issue 30), set before
    /// the first propose call. True when the strategy searches the Pareto front itself (ANASOD-BO's expected
    /// hypervolume improvement); false, the default, when it cannot, and `SeveralObjectives.strategy` wraps it
    /// in ParEGO's scalarisations instead.
    mutating func pursue(measures: [(name: String, measure: Feasibility.Measure)]) -> Bool
}

extension SearchStrategy {
    public mutating func takeNotes() -> [String] { [] }

    public mutating func pursue(measures: [(name: String, measure: Feasibility.Measure)]) -> Bool { false }

    /// Replays a recorded history.
    public mutating func replay(_ events: [StrategyEvent]) {
        for event in events {
            switch event {
            case .proposed(let proposals): restore(proposed: proposals)
            case .observed(let observation): observe(observation)
            }
        }
    }
}
