import ANASOD
import Foundation
import Journal
import Search

/// A learning-curve set made by the cluster itself (issue 28): a study whose workers streamed their validation
/// error each epoch holds, in its journal, one curve per cell it trained to the end. `anasod bench --curves
/// JOURNAL` replays early stopping on them.
public struct JournalCurves: Sendable {
    public let space: any SearchSpace
    public let curves: [CurvesBenchmark.Curve]
    /// Cells left out: stopped, failed, a curve with a gap or without errors, or a second result of a cell.
    public let skipped: Int

    /// Reads the journal at `path`: the cells trained to the end whose every epoch 1…E reported a validation
    /// error, E the longest curve's length; the seconds are the workers' own, cumulative.
    /// - Throws: `ClusterError` when the journal holds no study, its space cannot be read, or no full curve.
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ClusterError(.invalidConfiguration, "no journal at '\(path)'")
        }
        let journal = try SQLiteJournal(path: path)
        defer { try? journal.close() }
        guard let study = try journal.study() else { throw ClusterError(.invalidConfiguration, "the journal '\(path)' holds no study") }
        let space = try JournalEncodingAnalysis.declaredSpace(study).space
        let replay = JournalReplay(try journal.records())
        var candidates = [(architecture: Architecture, epochs: [EpochProgress])]()
        var skipped = 0
        for trial in replay.trials {
            guard let result = trial.result, result.metrics.stoppedAtEpoch == nil, let architecture = try? space.parse(trial.architecture)
            else {
                skipped += 1
                continue
            }
            candidates.append((architecture, trial.curve))
        }
        // The training length: the study's `evaluator.epochs` when it names one, else the most common curve length
        // (one over-long curve must not leave every other cell out).
        let stored = try? StudyConfiguration.storedDefinition(study.configuration)
        var lengths = [Int: Int]()
        for c in candidates { lengths[c.epochs.map(\.epoch).max() ?? 0, default: 0] += 1 }
        let length = stored?["evaluator.epochs"].flatMap { Int($0) }
            ?? lengths.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key ?? 0
        var curves = [CurvesBenchmark.Curve]()
        var seen = Set<Architecture>()
        for c in candidates {
            var errors = [Double](), seconds = [Double]()
            for e in 1...max(1, length) {
                guard let p = c.epochs.last(where: { $0.epoch == e }), let error = p.validationError else { break }
                errors.append(error)
                seconds.append(max(p.seconds, seconds.last ?? 0))
            }
            // A full curve, once a cell (a cell trained again keeps its first full curve).
            guard errors.count == length, length > 0, seen.insert(c.architecture).inserted else {
                skipped += 1
                continue
            }
            curves.append(CurvesBenchmark.Curve(architecture: c.architecture, errors: errors, seconds: seconds))
        }
        guard !curves.isEmpty else {
            throw ClusterError(.invalidConfiguration, "the journal '\(path)' holds no cell trained to the end with a validation error "
                               + "at every epoch (\(skipped) left out)")
        }
        self.space = space
        self.curves = curves
        self.skipped = skipped
    }
}
