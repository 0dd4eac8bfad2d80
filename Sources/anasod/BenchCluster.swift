import ArgumentParser
import Cluster
import Foundation
import Logging

/// `anasod bench cluster`: throughput, speed-up and turnaround of the cluster, as a Markdown table.
struct BenchCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Benchmark the cluster: throughput with a zero-cost evaluator, speed-up with a 1 s evaluator, turnaround.")

    @Option(help: "Worker counts for the throughput rows.") var workers = "1,2,4,8"
    @Option(help: "Evaluations per throughput row.") var throughputBudget = 4000
    @Option(help: "Slots per worker in the throughput rows (a deep pipeline: each round trip is latency-bound).") var slots = 16
    @Option(help: "Strategy for the throughput rows (rs keeps the GP out of the measurement).") var throughputStrategy = "rs"
    @Option(help: "Evaluations of the speed-up rows (1 s each).") var speedupBudget = 24
    @Option(help: "Observations at which to measure the result-to-next-job time with ANASOD-BO.") var turnaroundAt = "150,1000"
    @Option(help: ArgumentHelp("Instead of the rows above: what one coordinator holds with N simulated workers, for each N "
                               + "given (100,500,1000,2000), all in one load-generator process.", valueName: "N,…"))
    var simulatedWorkers: String?
    @Option(help: "Strategies of the simulated rows, comma-separated.") var simulatedStrategies = "anasod-bo-2s,rs"
    @Option(help: "Results per simulated row (NB201 has 15,625 cells).") var simulatedBudget = 10_000
    @Option(help: "Seconds the simulated workers stay connected and idle before the load (heartbeats alone).") var idleSeconds = 3.0
    @Flag(help: "Simulated rows with plain sockets as well as CURVE.") var plainToo = false
    @Option(help: ArgumentHelp("Run each simulated row again beside a peer with a key of its own that floods heartbeats "
                               + "listing this many job keys (issue 25: 65536), to measure the others' reply latency under it.",
                               valueName: "PAIRS"))
    var floodingPeer: Int?
    @Option(help: "Results per second the paced simulated rows offer (each of N workers' evaluations takes N / RATE s on average); 0: zero-cost rows only.")
    var offeredRate = 5000.0
    @Option(help: ArgumentHelp("Run the load generator on these CPUs only (taskset -c), e.g. 1 with this command under "
                               + "taskset -c 0: the coordinator and the simulated workers then do not share cores.", valueName: "CPUS"))
    var simulatorCpus: String?

    func run() async throws {
        LogSetup.bootstrap("warning")
        CoordinatorProcess.prepare()
        let directory = NSTemporaryDirectory() + "anasod-bench-cluster-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let simulatedWorkers {
            if let floodingPeer, !(1...1_000_000).contains(floodingPeer) {
                throw ValidationError("--flooding-peer must be a number of job keys in 1…1000000 (issue 25's flood: 65536)")
            }
            guard simulatedBudget >= 1 else { throw ValidationError("--simulated-budget must be at least 1") }
            guard idleSeconds >= 0, idleSeconds.isFinite, offeredRate >= 0, offeredRate.isFinite else {
                throw ValidationError("--idle-seconds and --offered-rate must be finite and ≥ 0")
            }
            let counts = simulatedWorkers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--simulated-workers takes worker counts, e.g. 100,500,1000,2000")
            }
            let strategies = simulatedStrategies.split(separator: ",").map(String.init)
            try await SimulatedRows(directory: directory, counts: counts.map { $0! }, strategies: strategies,
                                    budget: simulatedBudget, idleSeconds: idleSeconds, plainToo: plainToo,
                                    offeredRate: offeredRate, simulatorCPUs: simulatorCpus, floodPairs: floodingPeer).run()
            return
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let bench = ClusterBenchmark(directory: directory) { endpoint, count, slots, keys in
            (0..<count).map { i in
                var arguments = ["worker", "--connect", endpoint, "--slots", String(slots), "--id", "bench-\(i)", "--log-level", "error"]
                if let keys {
                    arguments += ["--key", "\(keys)/local/bench-\(i).key_secret", "--coordinator-key", "\(keys)/coordinator.key"]
                }
                return BenchmarkProcess(executable: executable, arguments: arguments)
            }
        }
        let counts = workers.split(separator: ",").compactMap { Int($0) }
        print("| scenario | security | workers × slots | evaluations | seconds (first job → last result) | evaluations / s | result → next job, median ms |")
        print("|---|---|---|---|---|---|---|")
        // CURVE and plain side by side, alternating, so that drift of the machine hits both alike.
        for (i, n) in counts.enumerated() {
            for curve in [true, false] {
                let o = try await bench.run(.init(workers: n, slotsPerWorker: slots, budget: throughputBudget, seconds: 0,
                                                  strategy: throughputStrategy, curve: curve), name: "throughput-\(i)-\(curve)")
                let turnaround = o.latencies.map(\.seconds).sorted()
                let median = turnaround.isEmpty ? Double.nan : turnaround[turnaround.count / 2] * 1000
                print("| zero-cost, \(throughputStrategy) | \(curve ? "CURVE" : "plain") | \(n) × \(slots) | \(throughputBudget) | "
                      + "\(String(format: "%.2f", o.span)) | \(String(format: "%.0f", o.rate)) | \(String(format: "%.2f", median)) |")
            }
        }
        let one = try await bench.run(.init(workers: 1, slotsPerWorker: 1, budget: speedupBudget, seconds: 1, strategy: "anasod-bo"),
                                      name: "speedup-1")
        let eight = try await bench.run(.init(workers: 8, slotsPerWorker: 1, budget: speedupBudget, seconds: 1, strategy: "anasod-bo"),
                                        name: "speedup-8")
        print("| 1 s evaluator, anasod-bo | CURVE | 1 × 1 | \(speedupBudget) | \(String(format: "%.2f", one.span)) | \(String(format: "%.2f", one.rate)) | — |")
        print("| 1 s evaluator, anasod-bo | CURVE | 8 × 1 | \(speedupBudget) | \(String(format: "%.2f", eight.span)) | \(String(format: "%.2f", eight.rate)) | — |")
        print(String(format: "\nSpeed-up of 8 workers over 1 (results per second): %.2f×", eight.rate / max(one.rate, 1e-9)))

        let marks = turnaroundAt.split(separator: ",").compactMap { Int($0) }
        if let top = marks.max() {
            let o = try await bench.run(.init(workers: 1, slotsPerWorker: 1, budget: top + 1, seconds: 0, strategy: "anasod-bo"),
                                        name: "turnaround")
            print("\n| observations | result → next job (ms), ANASOD-BO, 1 worker × 1 slot, median of the 10 around |")
            print("|---|---|")
            for m in marks {
                let near = o.latencies.filter { abs($0.observations - m) <= 5 }.map(\.seconds).sorted()
                let median = near.isEmpty ? Double.nan : near[near.count / 2]
                print("| \(m) | \(String(format: "%.2f", median * 1000)) |")
            }
        }
    }
}
