import ANASOD
import ArgumentParser
import BayesOpt
import Cluster
import Evaluation
import Foundation
import Search

/// `anasod bench --curves`: early stopping replayed on learning curves (issue 28).
extension BenchSearch {
    func stoppingRules() throws -> [EarlyStopping.Rule] {
        let rules = earlyStopping.split(separator: ",").map { EarlyStopping.Rule(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        guard !rules.isEmpty, rules.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--early-stopping wants rules among off, asha, model (e.g. off,asha,model), got '\(earlyStopping)'")
        }
        return rules.map { $0! }
    }

    /// The curve set at `path`: a journal (SQLite) or the NB201 curves CSV.
    static func loadCurves(_ path: String) throws -> (space: any SearchSpace, curves: [CurvesBenchmark.Curve], note: String) {
        let head = FileManager.default.contents(atPath: path)?.prefix(16) ?? Data()
        if head.starts(with: Array("SQLite format 3".utf8)) {
            let set = try JournalCurves(path: path)
            return (set.space, set.curves, "a study's journal, \(set.skipped) cell(s) without a full curve left out")
        }
        let set = try LearningCurves.loadNB201(path: path)
        return (NB201SearchSpace(), set.curves.map { CurvesBenchmark.Curve(architecture: $0.architecture, errors: $0.errors) },
                "NB201 curves, one unit of time an epoch")
    }

    func runCurves(_ path: String) throws {
        let (space, curves, note) = try Self.loadCurves(path)
        let names = StrategyChoice.splitList(strategies)
        let epochs = curves[0].errors.count
        let budgetEpochs = budget * epochs
        LinearAlgebraThreads.set(1)
        let started = Date()
        var stopping = EarlyStopping(rule: .asha, minEpochs: minEpochs ?? EarlyStopping.defaultMinEpochs(maxEpochs: epochs),
                                     reductionFactor: reductionFactor, maxEpochs: epochs)
        if let problem = stopping.problem { throw ValidationError(problem.replacingOccurrences(of: "'jobs.early_stopping.", with: "'--")) }
        let best = curves.map { $0.errors.last! }.min()!
        print("Curves: \(path) (\(note)): \(curves.count) cells × \(epochs) epochs, best final error "
              + String(format: "%.3f %%", best) + "; budget \(budget) full-length cells = \(budgetEpochs) epochs; rungs at "
              + stopping.rungs.map(String.init).joined(separator: ", ") + " (η \(reductionFactor)); seeds \(firstSeed)…"
              + "\(firstSeed + UInt64(seeds) - 1), \(jobs) parallel runs")
        for count in workers == nil ? [1] : try workerCounts() {
            var runs = [CurvesBenchmark.Run]()
            for rule in try stoppingRules() {
                stopping.rule = rule
                let benchmark = try CurvesBenchmark(space: space, curves: curves, budgetEpochs: budgetEpochs, workers: count,
                                                    stopping: rule == .off ? nil : stopping)
                runs += try benchmark.runAll(strategies: names, seeds: seeds, firstSeed: firstSeed, parallelism: jobs)
            }
            // Strategy by strategy, full length before early stopping.
            let order = EarlyStopping.Rule.allCases
            runs.sort { (names.firstIndex(of: $0.strategy) ?? 0, order.firstIndex(of: $0.rule)!, $0.seed)
                < (names.firstIndex(of: $1.strategy) ?? 0, order.firstIndex(of: $1.rule)!, $1.seed) }
            print("\n### \(count) worker\(count == 1 ? "" : "s")\n")
            print(CurvesReport(runs: runs, budgetEpochs: budgetEpochs).markdown())
        }
        print(String(format: "\nWall time: %.1f s", Date().timeIntervalSince(started)))
    }
}
