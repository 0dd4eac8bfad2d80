import ANASOD
import ArgumentParser
import BayesOpt
import Evaluation
import Foundation
import Search

/// `anasod bench search` (and `anasod bench` alone): strategies × seeds × budget on an NB201 table, in-process.
struct BenchSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Benchmark search strategies on an NB201 table (the paper's Table 2), in-process, on every core.")

    @Option(help: "An NB201 CSV file, or a data-set name (cifar10, cifar100) looked up in --nb201-dir.")
    var table: String = "cifar10"

    @Option(name: .customLong("nb201-dir"),
            help: "Folder of the NB201 CSV files (default: $ANASOD_NB201_DIR, else ../shared/data/nb201).")
    var nb201Dir: String?

    @Option(help: ArgumentHelp("Instead of --table: NB201 per-seed runs (cifar10-valid, cifar100, or a CSV path): each evaluation "
                               + "draws one noisy training run and costs its GPU seconds; a cell may be trained again.",
                               valueName: "RUNS"))
    var runs: String?

    @Option(name: .customLong("runs-dir"),
            help: "Folder of the runs CSV files (default: $ANASOD_NB201_RUNS_DIR, else ../shared/data/nb201-runs).")
    var runsDir: String?

    @Option(help: ArgumentHelp("Instead of --table: a learning-curve set, the NB201 curves CSV or a study's journal: early "
                               + "stopping replayed epoch by epoch; --budget counts full-length cells' worth of epochs.",
                               valueName: "CURVES"))
    var curves: String?

    @Option(help: ArgumentHelp("With --runs: a limit on a measure known before training, params (parameters) or latency_ms; "
                               + "the bound a number or pNN, a percentile over the space (params<=p25). Repeat for several.",
                               valueName: "MEASURE<=BOUND"))
    var constraint: [String] = []

    @Option(help: ArgumentHelp("With --runs: measures strategies learn only from results, as a worker measures latency after "
                               + "training (comma-separated, e.g. latency_ms): a --constraint on them is modelled by ANASOD-BO as a "
                               + "probability of feasibility; the other strategies do not model it.",
                               valueName: "MEASURES"))
    var measured: String?

    @Option(help: ArgumentHelp("With --runs: several objectives, val_error and measures known before training (params, latency_ms), "
                               + "e.g. val_error,latency_ms: ANASOD-BO by expected hypervolume improvement (anasod-bo[mo=parego]: ParEGO), the other "
                               + "strategies under ParEGO's scalarisations; the table gives hypervolumes.",
                               valueName: "OBJECTIVES"))
    var objectives: String?

    @Option(help: "With --objectives: how ParEGO scales each objective: range (least to greatest result) or median (least to the median).")
    var paregoScale: String = ParEGO.Scale.median.rawValue

    @Option(help: "With --curves: the stopping rules to compare, among off, asha and model (off,asha,model).")
    var earlyStopping: String = "off,asha"

    @Option(help: "With --curves: the first rung, in epochs (default: a sixteenth of the curves' length, at least 1).")
    var minEpochs: Int?

    @Option(help: "With --curves: η, about one cell in η goes on at each rung.")
    var reductionFactor: Int = 3

    @Option(help: "Comma-separated strategies: \(StrategyFactory.names.joined(separator: ", ")).")
    var strategies: String = "rs,anasod-rs,biased-rs,ls,ls-cell,re,onehot-bo,anasod-bo,anasod-bo-2s"

    @Option(help: "Seeds per strategy (first-seed … first-seed + N − 1).")
    var seeds: Int = 10

    @Option(help: "The first seed (tune on one range, e.g. 100, report on another, e.g. 0).")
    var firstSeed: UInt64 = 0

    @Option(help: ArgumentHelp("Simulate a cluster of W workers against the clock (comma-separated: 1,8 compares them).",
                               discussion: "Proposals are made whenever workers free, with the running evaluations pending, as the coordinator does."))
    var workers: String?

    @Option(help: "With --workers: evaluation time per cell: constant, flops or params (of the full C16 N5 network).")
    var timeModel: String = "flops"

    @Option(help: "With --workers: σ of the log-normal noise on each evaluation's time.")
    var timeNoise: Double = 0.25

    @Option(help: "Distinct cells evaluated per run.")
    var budget: Int = 150

    @Option(help: "Proposals per call (batch BO when > 1).")
    var batch: Int = 1

    @Option(help: "Runs in parallel (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Write the curves to this CSV file.",
                               discussion: "With --table: strategy,seed,evaluations,best_error. With --runs: every run's every "
                                   + "point, \(NoisyRunsReport.csvHeader) (anasod report --bench-curves plots it)."))
    var csv: String?

    func validate() throws {
        guard seeds > 0 else { throw ValidationError("--seeds must be positive") }
        guard budget > 0 && budget <= NB201SearchSpace.cellCount else { throw ValidationError("--budget must be in 1...15625") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard jobs > 0 else { throw ValidationError("--jobs must be positive") }
        if curves != nil {
            guard runs == nil else { throw ValidationError("--curves and --runs are two benchmarks: give one") }
            guard batch == 1 else { throw ValidationError("--curves simulates the asynchronous loop (--workers W, default 1): drop --batch") }
            if workers != nil { _ = try workerCounts() }
            _ = try stoppingRules()
            guard (minEpochs ?? 1) >= 1 else { throw ValidationError("--min-epochs must be at least 1") }
            guard reductionFactor >= 2 else { throw ValidationError("--reduction-factor must be at least 2") }
        }
        if objectives != nil && runs == nil {
            throw ValidationError("--objectives applies to --runs (the runs table knows every cell's size and latency)")
        }
        if measured != nil && runs == nil {
            throw ValidationError("--measured applies to --runs (the runs table knows every cell's size and latency)")
        }
        if !constraint.isEmpty && runs == nil {
            throw ValidationError("--constraint applies to --runs (the runs table knows every cell's size and latency)")
        }
        if curves != nil {
            // Checked above.
        } else if runs != nil {
            guard batch == 1 else { throw ValidationError("--runs simulates the asynchronous loop (--workers W, default 1): drop --batch") }
            if workers != nil { _ = try workerCounts() }
        } else if workers != nil {
            guard batch == 1 else { throw ValidationError("--workers simulates the asynchronous loop: drop --batch") }
            _ = try workerCounts()
            guard TimeModel.Kind(rawValue: timeModel) != nil else {
                throw ValidationError("--time-model must be \(TimeModel.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard timeNoise.isFinite, timeNoise >= 0, timeNoise <= 3 else { throw ValidationError("--time-noise must be in 0...3") }
        }
    }

    func workerCounts() throws -> [Int] {
        let list = (workers ?? "").split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1024 }) else {
            throw ValidationError("--workers wants counts in 1...1024, e.g. 1,8")
        }
        return list.map { $0! }
    }

    func run() async throws {
        if let curves { return try runCurves(curves) }
        if let runs { return try runNoisy(runs) }
        let path = NB201Table.resolve(table, directory: nb201Dir)
        let loaded = try NB201Table.load(path: path)
        let names = StrategyChoice.splitList(strategies)
        LinearAlgebraThreads.set(1)  // one BLAS thread per run; runs are parallel
        let started = Date()
        var runs = [SearchBenchmark.Run]()
        var simulated = [(workers: Int, labels: [String: String])]()
        if workers != nil {
            let model = TimeModel(kind: TimeModel.Kind(rawValue: timeModel)!, noise: timeNoise)
            for count in try workerCounts() {
                let simulation = ClusterSimulation(space: NB201Table.space, budget: budget, workers: count,
                                                   objective: { loaded.error(of: $0) },
                                                   duration: { model.duration($0, seed: $1) })
                var batchRuns = try SearchBenchmark.runAll(strategies: names, seeds: seeds, firstSeed: firstSeed, parallelism: jobs,
                                                           space: NB201Table.space) { try simulation.run(strategy: $0, seed: $1) }
                var labels = [String: String]()
                for i in batchRuns.indices {
                    let label = "\(batchRuns[i].strategy) ×\(count)"
                    labels[batchRuns[i].strategy] = label
                    batchRuns[i].strategy = label
                }
                simulated.append((count, labels))
                runs += batchRuns
            }
        } else {
            let benchmark = SearchBenchmark(space: NB201Table.space, budget: budget, batch: batch) { loaded.error(of: $0) }
            runs = try benchmark.runAll(strategies: names, seeds: seeds, firstSeed: firstSeed, parallelism: jobs)
        }
        let report = BenchmarkReport(runs: runs)
        let mode = workers == nil ? "batch \(batch)" : "simulated workers \(workers!), time model \(timeModel) (noise σ \(timeNoise))"
        print("NB201 table: \(path); seeds \(firstSeed)…\(firstSeed + UInt64(seeds) - 1), budget \(budget), \(mode), \(jobs) parallel runs, "
              + "OpenBLAS kernels: \(LinearAlgebraThreads.coreName)\n")
        print(report.markdown(optimum: loaded.optimum.error))
        // Against the clock: how soon W workers reach what one worker reaches with the whole budget.
        if let sequential = simulated.first(where: { $0.workers == 1 }), simulated.count > 1 {
            print("\nSimulated time to reach the 1-worker run's mean best after \(budget) evaluations (units: the space's mean evaluation time):\n")
            print("| strategy | workers | 1 worker's time | time to reach it | fraction | runs that reached it |\n|---|---|---|---|---|---|")
            for name in names {
                guard let one = sequential.labels[name], let target = report.bestAfter(budget, strategy: one)?.mean,
                      let full = report.simulatedTime(strategy: one)?.seconds else { continue }
                for (count, labels) in simulated where count > 1 {
                    guard let label = labels[name], let reach = report.timeToReach(target, strategy: label) else { continue }
                    let fraction = reach.mean.isFinite ? String(format: "%.3f", reach.mean / full) : "—"
                    print("| \(name) | \(count) | \(String(format: "%.1f", full)) | \(reach.mean.isFinite ? String(format: "%.1f", reach.mean) : "never") "
                          + "| \(fraction) | \(reach.reached)/\(reach.runs) |")
                }
            }
        }
        print(String(format: "\nWall time: %.1f s", Date().timeIntervalSince(started)))
        if let csv {
            do {
                try report.csv().write(toFile: csv, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(csv)': \(error.localizedDescription)")
            }
            print("Curves written to \(csv)")
        }
    }

    /// `--runs`: noisy runs, GPU-seconds, W asynchronous workers (issue 26).
    func runNoisy(_ runs: String) throws {
        let path = NB201Runs.resolve(runs, directory: runsDir)
        let table = try NB201Runs.load(path: path)
        let names = StrategyChoice.splitList(strategies)
        LinearAlgebraThreads.set(1)
        let started = Date()
        let sorted = table.mean.sorted()
        let median = sorted[sorted.count / 2]
        let feasibility = try runsFeasibility(table)
        print("NB201 runs: \(path); seeds \(firstSeed)…\(firstSeed + UInt64(seeds) - 1), \(budget) evaluations a run, "
              + "\(jobs) parallel runs; optimum of the mean validation error \(String(format: "%.3f", sorted[0])), lowest single run "
              + "\(String(format: "%.3f", table.errors.joined().min() ?? .nan))")
        let measuredInEvaluation = try runsMeasuredInEvaluation(table)
        if feasibility.isActive {
            let feasible = (0..<NB201SearchSpace.cellCount).filter { index in
                let cell = NB201Runs.space.architecture(at: index)
                return feasibility.allows(cell) && feasibility.outcomeViolations(measuredInEvaluation.mapValues { $0.value(cell) }).isEmpty
            }
            let all = (feasibility.constraints + feasibility.outcomeConstraints).map(\.description).joined(separator: ", ")
            guard let optimum = feasible.map({ table.mean[$0] }).min() else {
                throw ValidationError("--constraint \(all) leaves no cell of the \(NB201SearchSpace.cellCount) feasible")
            }
            let after = feasibility.outcomeConstraints.isEmpty ? ""
                : feasibility.constraints.isEmpty ? " (known only from results)"
                : " (\(feasibility.outcomeConstraints.map(\.description).joined(separator: ", ")) known only from results)"
            print("Constraints \(all)\(after): \(feasible.count) of "
                  + "\(NB201SearchSpace.cellCount) cells feasible; optimum of the mean validation error among them "
                  + String(format: "%.3f", optimum) + "; best seen counts feasible cells only")
        }
        let several = try runsObjectives(table, medianTrueError: median)
        if let several {
            print("Objectives val_error, \(several.objectives.map(\.name).joined(separator: ", ")) (ANASOD-BO: expected hypervolume "
                  + "improvement; other strategies: ParEGO's scalarisations); hypervolume between the ideal point (\(several.ideal.map { String(format: "%g", $0) }.joined(separator: ", "))) "
                  + "and the reference point (\(several.reference.map { String(format: "%g", $0) }.joined(separator: ", "))), "
                  + "normalised to that box")
        }
        var all = [NoisyRunsBenchmark.Run]()
        for count in workers == nil ? [1] : try workerCounts() {
            var benchmark = NoisyRunsBenchmark(space: NB201Runs.space, budget: budget, workers: count, medianTrueError: median,
                                               draw: { table.draw($0, seed: $1, attempt: $2) }, trueError: { table.meanError(of: $0) })
            benchmark.feasibility = feasibility
            benchmark.measuredInEvaluation = measuredInEvaluation
            if let several {
                guard let scale = ParEGO.Scale(rawValue: paregoScale) else {
                    throw ValidationError("--parego-scale must be \(ParEGO.Scale.allCases.map(\.rawValue).joined(separator: " or "))")
                }
                benchmark.scale = scale
                benchmark.objectives = several.objectives
                benchmark.ideal = several.ideal
                benchmark.reference = several.reference
            }
            let results = try benchmark.runAll(strategies: names, seeds: seeds, firstSeed: firstSeed, parallelism: jobs)
            print("\n### \(count) worker\(count == 1 ? "" : "s")\n")
            let report = NoisyRunsReport(runs: results)
            print(report.markdown())
            if let reach = report.reachTable() { print(reach) }
            all += results
        }
        if let csv {
            do {
                try NoisyRunsReport(runs: all).csv().write(toFile: csv, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(csv)': \(error.localizedDescription)")
            }
            print("Curves written to \(csv) (plot them with anasod report --bench-curves \(csv))")
        }
        print(String(format: "\nWall time: %.1f s", Date().timeIntervalSince(started)))
    }
}
