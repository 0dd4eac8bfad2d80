import ANASOD

/// The bookkeeping every strategy shares: the seed and call counter (each propose call draws from its own
/// stream, `SeededGenerator(seed:stream:)`, so replaying calls without drawing keeps later draws equal),
/// every architecture proposed, the observations in order, and the incumbent.
public struct StrategyHistory: Sendable {
    public let space: any SearchSpace
    public let seed: UInt64
    /// Propose calls so far.
    public private(set) var calls = 0
    /// Every architecture ever proposed.
    public private(set) var proposed = Set<Architecture>()
    /// How many proposed architectures each encoding (count vectors) holds.
    public private(set) var proposedPerEncoding = [[[Int]]: Int]()
    /// Observations in arrival order (failures included).
    public private(set) var observations = [Observation]()
    /// The successful observations in arrival order.
    public private(set) var successes = [(architecture: Architecture, value: Double)]()
    public private(set) var best: (architecture: Architecture, value: Double)?
    /// Cells early stopping stopped (issue 28), and where their entries are in `successes` (`stoppedIndices`):
    /// each holds the cell's predicted full-training error (`calibration`), recomputed whenever a cell finishes
    /// training. A cell trained again may have full results beside a stopped one: only the entries are set apart.
    public private(set) var stopped = Set<Architecture>()
    public private(set) var stoppedIndices = Set<Int>()
    /// The indices into `successes` of results that break a constraint known only after evaluation
    /// (`Feasibility.outcomeConstraints`): kept for the error model, never the best or the recommendation.
    public private(set) var violating = Set<Int>()
    private var stoppedEntries = [(index: Int, rung: Int, error: Double)]()
    /// What maps a stopped cell's error at its rung onto the full-training scale.
    public private(set) var calibration = RungCalibration()
    /// The cells the study may train (issue 30): proposals keep to it (`isAvailable`), encodings without a
    /// feasible cell hold none (`remaining(counts:)`).
    public var feasibility = Feasibility.unconstrained

    public init(space: any SearchSpace, seed: UInt64) {
        self.space = space
        self.seed = seed
    }

    /// The generator for the next propose call (and counts the call).
    public mutating func beginCall() -> SeededGenerator {
        defer { calls += 1 }
        return SeededGenerator(seed: seed, stream: UInt64(calls))
    }

    public func isProposed(_ architecture: Architecture) -> Bool { proposed.contains(architecture) }

    /// Whether `architecture` may be proposed now: not proposed before, and feasible.
    public func isAvailable(_ architecture: Architecture) -> Bool {
        !proposed.contains(architecture) && (!feasibility.isConstrained || feasibility.allows(architecture))
    }

    /// Records proposals (from a propose call, a replay, or pending ones learnt from the caller).
    public mutating func record(_ proposals: [Proposal]) {
        for p in proposals where proposed.insert(p.architecture).inserted {
            proposedPerEncoding[space.counts(of: p.architecture), default: 0] += 1
        }
    }

    /// Records an observation; returns whether it improved the incumbent.
    @discardableResult
    public mutating func record(_ observation: Observation) -> Bool {
        observations.append(observation)
        if proposed.insert(observation.architecture).inserted {
            proposedPerEncoding[space.counts(of: observation.architecture), default: 0] += 1
        }
        guard let value = observation.value, value.isFinite else { return false }
        if let epoch = observation.stoppedAtEpoch {
            // Data for the surrogate at its predicted end, never the incumbent: no one trained it to the end. Its
            // error is mapped from the highest rung it was recorded at (the report past it, for a trainer that
            // skips epochs).
            let rung = observation.rungErrors.keys.max() ?? epoch
            stoppedEntries.append((successes.count, rung, value))
            stoppedIndices.insert(successes.count)
            // A stopped cell rarely carries the measures of a finished one; one that it carries and breaks marks it.
            let measuredBreaks = feasibility.outcomeViolations(observation.measured).contains { observation.measured[$0.measure] != nil }
            if measuredBreaks { violating.insert(successes.count) }
            successes.append((observation.architecture, calibration.predict(rung: rung, error: value)))
            stopped.insert(observation.architecture)
            return false
        }
        // A result that breaks a constraint known only after evaluation: data for the error model, never the best.
        let breaks = !feasibility.outcomeConstraints.isEmpty && !feasibility.outcomeViolations(observation.measured).isEmpty
        if breaks { violating.insert(successes.count) }
        successes.append((observation.architecture, value))
        if !observation.rungErrors.isEmpty {
            calibration.learn(final: value, rungErrors: observation.rungErrors)
            let lines = Dictionary(grouping: stoppedEntries.map(\.rung), by: { $0 }).keys.map { ($0, calibration.line(rung: $0)) }
            let byRung = Dictionary(uniqueKeysWithValues: lines)
            for entry in stoppedEntries {
                successes[entry.index].value = byRung[entry.rung]!(entry.error)
            }
        }
        if !breaks && (best == nil || value < best!.value) {
            best = (observation.architecture, value)
            return true
        }
        return false
    }

    /// Where a search centres: the best cell trained to the end, else (while early stopping has stopped every
    /// cell so far) the lowest predicted one; a result that breaks a constraint known only after evaluation only
    /// while every result does. Nil before any success.
    public var incumbent: (architecture: Architecture, value: Double)? {
        best ?? successes.indices.filter { !violating.contains($0) }.map { successes[$0] }.min { $0.value < $1.value }
            ?? successes.min { $0.value < $1.value }
    }

    /// How many architectures of the encoding `counts` are not yet proposed (0 when constraints rule the whole
    /// encoding out; an upper bound where they rule out only some of its cells).
    public func remaining(counts: [[Int]]) -> Double {
        if feasibility.isConstrained {
            if let feasible = feasibility.feasibleCellCount(counts: counts) { return feasible - Double(proposedPerEncoding[counts] ?? 0) }
            if !feasibility.mayHold(counts: counts) { return 0 }
        }
        return space.architectureCount(counts: counts) - Double(proposedPerEncoding[counts] ?? 0)
    }

    /// The proposal for an architecture (its exact encoding).
    public func proposal(_ architecture: Architecture) -> Proposal {
        Proposal(architecture: architecture, encoding: space.encode(architecture))
    }
}
