import ANASOD
import ArgumentParser
import BayesOpt
import Evaluation
import Foundation
import Search

/// `anasod bench`: strategies × seeds × budget on an NB201 table, in-process.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark search strategies on an NB201 table (the paper's Table 2), in-process, on every core.")

    @Option(help: "An NB201 CSV file, or a data-set name (cifar10, cifar100) looked up in --nb201-dir.")
    var table: String = "cifar10"

    @Option(name: .customLong("nb201-dir"),
            help: "Folder of the NB201 CSV files (default: $ANASOD_NB201_DIR, else ../shared/data/nb201).")
    var nb201Dir: String?

    @Option(help: "Comma-separated strategies: \(StrategyFactory.names.joined(separator: ", ")).")
    var strategies: String = "rs,anasod-rs,biased-rs,ls,re,onehot-bo,anasod-bo"

    @Option(help: "Seeds per strategy (0 … N−1).")
    var seeds: Int = 10

    @Option(help: "Distinct cells evaluated per run.")
    var budget: Int = 150

    @Option(help: "Proposals per call (batch BO when > 1).")
    var batch: Int = 1

    @Option(help: "Runs in parallel (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Write the best-so-far curves to this CSV file (strategy,seed,evaluations,best_error).")
    var csv: String?

    func validate() throws {
        guard seeds > 0 else { throw ValidationError("--seeds must be positive") }
        guard budget > 0 && budget <= NB201SearchSpace.cellCount else { throw ValidationError("--budget must be in 1...15625") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard jobs > 0 else { throw ValidationError("--jobs must be positive") }
    }

    func run() async throws {
        let path = NB201Table.resolve(table, directory: nb201Dir)
        let loaded = try NB201Table.load(path: path)
        let names = strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        LinearAlgebraThreads.set(1)  // one BLAS thread per run; runs are parallel
        let benchmark = SearchBenchmark(space: NB201Table.space, budget: budget, batch: batch) { loaded.error(of: $0) }
        let started = Date()
        let runs = try benchmark.runAll(strategies: names, seeds: seeds, parallelism: jobs)
        let report = BenchmarkReport(runs: runs)
        print("NB201 table: \(path); \(seeds) seeds, budget \(budget), batch \(batch), \(jobs) parallel runs, "
              + "OpenBLAS kernels: \(LinearAlgebraThreads.coreName)\n")
        print(report.markdown(optimum: loaded.optimum.error))
        print(String(format: "Wall time: %.1f s", Date().timeIntervalSince(started)))
        if let csv {
            do {
                try report.csv().write(toFile: csv, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(csv)': \(error.localizedDescription)")
            }
            print("Curves written to \(csv)")
        }
    }
}
