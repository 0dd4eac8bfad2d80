import ANASOD
import Foundation
import Journal
import Search

/// A study's limits on what is known only once a cell has been trained (issue 30): the latency and peak memory
/// its trainer measured (`objective.constraints: {latency_ms: "<= 5"}`). A result that breaks one is kept (the
/// strategy's error model learns from it) and marked, but it is never the best seen, in the coordinator, in
/// `anasod status`, the report or the dashboard. A result that does not carry a constrained measure (a trainer
/// that does not report it) counts as breaking it: nothing shows it keeps to the limit.
public struct OutcomeLimits: Sendable, Hashable {
    public var constraints: [Constraint]

    public init(constraints: [Constraint]) {
        self.constraints = constraints.filter { Metrics.measuredNames.contains($0.measure) }
    }

    /// The study's constraints on measures known only after evaluation (not those its space computes before).
    public init(_ configuration: StudyConfiguration) {
        self.init(constraints: configuration.constraints.filter { StudyMeasures.isMeasuredInEvaluation($0.measure, in: configuration) })
    }

    /// The limits of the study a journal holds (none when its stored configuration cannot be read).
    public init(study: StudyRecord) {
        guard let definition = try? StudyConfiguration.storedDefinition(study.configuration),
              definition["objective.constraints"] != nil,
              let configuration = try? StudyConfiguration(storedSearch: definition, study: study.id) else {
            self.init(constraints: [])
            return
        }
        self.init(configuration)
    }

    public static let none = OutcomeLimits(constraints: [])

    public var isEmpty: Bool { constraints.isEmpty }

    /// The limits `metrics` breaks, a missing measure included.
    public func violations(of metrics: Metrics) -> [Constraint] {
        let measured = metrics.measured
        return constraints.filter { c in measured[c.measure].map { !c.holds(for: $0) } ?? true }
    }

    /// Whether `metrics` keeps to every limit.
    public func allows(_ metrics: Metrics) -> Bool { violations(of: metrics).isEmpty }

    /// The limits a result breaks, as its mark: "latency_ms 7.31 breaks <= 5", "memory_mb not reported"; nil
    /// when it keeps to them.
    public func mark(of metrics: Metrics) -> String? {
        let broken = violations(of: metrics)
        guard !broken.isEmpty else { return nil }
        let measured = metrics.measured
        return broken.map { c in
            measured[c.measure].map { "\(c.measure) \(String(format: "%.4g", $0)) breaks \(c.relation.rawValue) \(Constraint.format(c.bound))" }
                ?? "\(c.measure) not reported"
        }.joined(separator: "; ")
    }

    /// The measures constrained that `metrics` does not carry.
    public func missing(in metrics: Metrics) -> [String] {
        let measured = metrics.measured
        return constraints.map(\.measure).filter { measured[$0] == nil }
    }
}
