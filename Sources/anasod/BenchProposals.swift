import ANASOD
import ArgumentParser
import BayesOpt
import Evaluation
import Foundation
import Search

/// `anasod bench proposals`: how long a strategy takes to propose once it has seen N observations (a
/// deterministic synthetic objective over the space), for batches of each size asked. The figure the
/// coordinator pays between a result and the next job.
struct BenchProposals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposals",
        abstract: "Milliseconds per propose call after N observations, per batch size (median of --repeats).")

    @Option(help: "The search space (\(SpaceName.known)).") var space: SpaceName = .darts
    @Option(help: "Comma-separated strategies.") var strategies = "anasod-bo"
    @Option(help: "Comma-separated observation counts the strategy has seen before the timed calls.") var observations = "100,1000"
    @Option(help: "Comma-separated batch sizes q of the timed calls.") var batch = "1,8,32"
    @Option(help: "Timed calls per cell of the table (the median is printed).") var repeats = 3
    @Option(help: "Seed of the strategy and of the observations.") var seed: UInt64 = 0
    @Flag(help: "Two objectives, the space's FLOPs proxy the second (issue 30): ANASOD-BO's expected hypervolume improvement, the other strategies under ParEGO's scalarisations.")
    var pareto = false

    func run() throws {
        func list(_ text: String, _ what: String) throws -> [Int] {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--\(what) must be a comma-separated list of positive integers, got '\(text)'")
            }
            return values.map { $0! }
        }
        let counts = try list(observations, "observations"), batches = try list(batch, "batch")
        let names = StrategyChoice.splitList(strategies)
        let space = self.space.space
        let objective = SyntheticEvaluator(space: space)
        print("space \(space.name), synthetic objective (SyntheticEvaluator)\(pareto ? " and the FLOPs proxy (EHVI for ANASOD-BO, else ParEGO)" : ""), "
              + "OpenBLAS \(LinearAlgebraThreads.coreName)\n")
        print("| strategy | observations | " + batches.map { "q=\($0) ms" }.joined(separator: " | ") + " |")
        print("|---|---|" + batches.map { _ in "---|" }.joined())
        for name in names {
            for n in counts {
                var cells = [String]()
                for q in batches {
                    var strategy = try StrategyFactory.make(name, space: space, seed: seed)
                    if pareto {
                        let seed = self.seed
                        let cost = Feasibility.Measure(value: { space.relativeCost(counts: space.counts(of: $0)) ?? 0 })
                        strategy = try MultiObjectiveStrategy.make(name: name, seed: seed, measures: [("flops", cost)]) {
                            try StrategyFactory.make(name, space: space, seed: seed)
                        }
                    }
                    // N distinct random architectures observed, as a journal replay would hand them over.
                    var rng = SeededGenerator(seed: seed ^ 0xB0B5)
                    var noise = SeededGenerator(seed: seed ^ 0x5EC5)
                    var seen = Set<Architecture>()
                    while seen.count < n {
                        let a = space.randomArchitecture(using: &rng)
                        guard seen.insert(a).inserted else { continue }
                        // Seconds as the space's relative cost says, with ±10 % noise: a cost-aware strategy's
                        // cost model has real data to fit (the time of that fit is in the propose call's).
                        let cost = space.relativeCost(counts: space.counts(of: a)).map { 10 * $0 * (0.9 + 0.2 * noise.nextUniform()) }
                        strategy.observe(Observation(architecture: a, value: objective.error(of: a), seconds: cost))
                    }
                    var times = [Double]()
                    for _ in 0..<max(1, repeats) {
                        let start = DispatchTime.now().uptimeNanoseconds
                        let proposals = strategy.propose(count: q, pending: [])
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                        guard proposals.count == q else { throw ValidationError("\(name) proposed \(proposals.count) of \(q)") }
                    }
                    times.sort()
                    cells.append(String(format: "%.1f", times[times.count / 2]))
                }
                print("| \(name) | \(n) | " + cells.joined(separator: " | ") + " |")
            }
        }
    }
}
