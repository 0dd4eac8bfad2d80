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
        successes.append((observation.architecture, value))
        if best == nil || value < best!.value {
            best = (observation.architecture, value)
            return true
        }
        return false
    }

    /// How many architectures of the encoding `counts` are not yet proposed.
    public func remaining(counts: [[Int]]) -> Double {
        space.architectureCount(counts: counts) - Double(proposedPerEncoding[counts] ?? 0)
    }

    /// The proposal for an architecture (its exact encoding).
    public func proposal(_ architecture: Architecture) -> Proposal {
        Proposal(architecture: architecture, encoding: space.encode(architecture))
    }
}
