import ANASOD
import Foundation
import Journal
import Search

/// A study of several objectives (`objective.minimize`, issue 30) read from its journal: every trained cell's
/// objectives (its validation error, then the measures the coordinator computes from its architecture), the
/// Pareto front, and the hypervolume after each result against a reference point fixed for the whole study (each
/// objective's worst value among its results) from an ideal point (each one's best), normalised to that box.
public struct StudyPareto: Sendable {
    public struct Point: Sendable {
        public var job: UInt64
        public var architecture: String
        public var objectives: [Double]
    }

    /// `val_error` and the further objectives.
    public let names: [String]
    /// The results of cells trained to the end, in arrival order.
    public let points: [Point]
    /// Indices into `points` of the front, ordered by the first objective.
    public let front: [Int]
    public let ideal: [Double]
    public let reference: [Double]
    /// The normalised hypervolume after each point.
    public let hypervolume: [Double]

    /// Nil for a study of one objective, or one whose objectives this build cannot compute.
    public init?(history: StudyHistory, configuration: StudyConfiguration) {
        guard !configuration.objectives.isEmpty,
              let known = try? StudyMeasures.objectives(for: configuration) else { return nil }
        let space = configuration.space.space
        let measures = Dictionary(uniqueKeysWithValues: known.map { ($0.name, $0.measure) })
        names = ["val_error"] + configuration.objectives
        var points = [Point]()
        // Cells trained to the end within the study's limits measured in evaluation; a measured objective is the
        // result's own (a result without it has no place on the front).
        for r in history.trained where history.limits.allows(r.metrics) {
            guard let arch = try? space.parse(r.architecture) else { continue }
            let values = configuration.objectives.map { name in measures[name]?.value(arch) ?? r.metrics.measured[name] }
            guard values.allSatisfy({ $0?.isFinite == true }) else { continue }
            points.append(Point(job: r.job, architecture: r.architecture, objectives: [r.metrics.validationError] + values.map { $0! }))
        }
        self.points = points
        front = ParetoFront.members(points.map(\.objectives)).sorted { points[$0].objectives[0] < points[$1].objectives[0] }
        let d = names.count
        ideal = (0..<d).map { k in points.map { $0.objectives[k] }.min() ?? 0 }
        reference = (0..<d).map { k in points.map { $0.objectives[k] }.max() ?? 1 }
        let box = zip(reference, ideal).map { $0 - $1 }.reduce(1, *)
        var volumes = [Double]()
        var running = ParetoFront.Running(reference: reference)
        for p in points {
            running.add(p.objectives)
            volumes.append(box > 0 ? running.volume / box : 0)
        }
        hypervolume = volumes
    }

    /// The jobs on the front.
    public var frontJobs: Set<UInt64> { Set(front.map { points[$0].job }) }

    /// `anasod status`'s line: the front's size and its two ends.
    public var statusLine: String {
        guard let first = front.first.map({ points[$0] }), let last = front.last.map({ points[$0] }) else {
            return "pareto front (\(names.joined(separator: ", "))): no cell trained yet"
        }
        func text(_ p: Point) -> String { zip(names, p.objectives).map { "\($0) \(Self.format($1))" }.joined(separator: ", ") }
        return "pareto front (\(names.joined(separator: ", "))): \(front.count) of \(points.count) cells, from \(text(first)) to "
            + "\(text(last)); hypervolume \(String(format: "%.3f", hypervolume.last ?? 0))"
    }

    static func format(_ v: Double) -> String {
        abs(v) >= 1e4 ? String(format: "%.3g", v) : String(format: "%.3f", v)
    }
}

extension StudyPareto {
    /// The front of the study a journal holds, nil for one objective (or a configuration this build cannot read).
    public init?(study: StudyRecord, replay: JournalReplay) {
        guard let definition = try? StudyConfiguration.storedDefinition(study.configuration), definition["objective.minimize"] != nil,
              let configuration = try? StudyConfiguration(storedSearch: definition, study: study.id) else { return nil }
        self.init(history: StudyHistory(study: study, replay: replay), configuration: configuration)
    }
}
