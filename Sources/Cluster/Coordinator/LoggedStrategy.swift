import Logging
import Search

/// A study's strategy with its notes logged: after each propose call and each recommendation, what the
/// strategy says it did instead of what it was asked (`SearchStrategy.takeNotes()`: a GP it could not fit,
/// random proposals or the best seen given instead) goes to the coordinator's log as a warning. Everything
/// else is the strategy's own.
struct LoggedStrategy: SearchStrategy {
    private(set) var inner: any SearchStrategy
    let logger: Logger

    init(_ inner: any SearchStrategy, logger: Logger) {
        self.inner = inner
        self.logger = logger
    }

    var name: String { inner.name }

    mutating func propose(count: Int, pending: [Proposal]) -> [Proposal] {
        let proposals = inner.propose(count: count, pending: pending)
        for note in inner.takeNotes() { logger.warning("strategy: \(note)") }
        return proposals
    }

    mutating func restore(proposed proposals: [Proposal]) { inner.restore(proposed: proposals) }

    mutating func observe(_ observation: Observation) { inner.observe(observation) }

    mutating func takeNotes() -> [String] { inner.takeNotes() }

    mutating func constrain(to feasibility: Feasibility) { inner.constrain(to: feasibility) }
    mutating func pursue(measures: [(name: String, measure: Feasibility.Measure)]) -> Bool { inner.pursue(measures: measures) }

    mutating func recommendation() -> Recommendation? {
        let recommendation = inner.recommendation()
        for note in inner.takeNotes() { logger.warning("strategy: \(note)") }
        return recommendation
    }
}
