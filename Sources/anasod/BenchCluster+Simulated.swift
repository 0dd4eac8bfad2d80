import ArgumentParser
import Cluster
import Foundation

/// `anasod bench cluster --simulated-workers N,…`: for each N and strategy, a coordinator in this process
/// and one `anasod simulate-workers` process holding N connections; one table row each.
struct SimulatedRows {
    let directory: String
    let counts: [Int]
    let strategies: [String]
    let budget: Int
    let idleSeconds: Double
    let plainToo: Bool
    /// Results per second offered by the paced rows (N workers, each evaluation N / rate seconds on average); 0: none.
    let offeredRate: Double
    /// CPUs the load generator is confined to (`taskset -c`), e.g. "1" while this process runs on "0".
    let simulatorCPUs: String?
    /// With it, each row runs again beside a peer with its own key flooding heartbeats of this many job keys.
    let floodPairs: Int?

    func run() async throws {
        print("| workers | security | strategy | evaluations | flooding peer | all welcomed (s) | results | results / s | result → next job p50 / p99 (ms), worker side | coordinator turnaround p50 / p99 (ms) | heartbeat delay p99 idle / load (ms) | missed heartbeats | coordinator CPU (s, % of one core) | coordinator memory growth (MiB; KiB per worker) | refused: all / from the flooder's key |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in counts {
            for strategy in strategies {
                for curve in plainToo ? [true, false] : [true] {
                  for seconds in offeredRate > 0 ? [0, Double(n) / offeredRate] : [0] {
                   for flood in floodPairs == nil ? [false] : [false, true] {
                    let name = "sim-\(n)-\(strategy.filter { $0.isLetter || $0.isNumber })-\(curve ? "curve" : "plain")-\(seconds > 0 ? "paced" : "zero")"
                        + (flood ? "-flood" : "")
                    let reportPath = "\(directory)/\(name).json"
                    let bench = ClusterBenchmark(directory: directory) { endpoint, count, slots, keys in
                        simulator(endpoint: endpoint, count: count, slots: slots, keys: keys, seconds: seconds,
                                  report: reportPath, flood: flood ? floodPairs : nil)
                    }
                    let o = try await bench.run(.init(workers: n, slotsPerWorker: 1, budget: budget, seconds: 0, strategy: strategy,
                                                      curve: curve), name: name)
                    guard let data = FileManager.default.contents(atPath: reportPath),
                          let r = try? JSONDecoder().decode(WorkerSimulator.Report.self, from: data) else {
                        throw ClusterError(.run, "the load generator of row \(name) ended without its report (its error, if any, is above)")
                    }
                    let turnaround = WorkerSimulator.Report.Distribution(o.latencies.map { $0.seconds * 1000 })
                    let mib = Double(o.peakMemoryGrowth) / 1_048_576
                    func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
                    let load = seconds > 0 ? "paced: \(f(seconds * 1000, 0)) ms ± 50 % (\(f(offeredRate, 0))/s offered)" : "zero-cost"
                    let flooding = flood ? "\(floodPairs!) keys a heartbeat" : "none"
                    print("| \(r.welcomed)/\(n) | \(curve ? "CURVE" : "plain") | \(strategy) | \(load) | \(flooding) | \(f(r.connectSeconds, 2)) | \(r.results) | "
                          + "\(f(Double(r.results) / max(o.span, 1e-9), 0)) | \(f(r.resultToNextJobMs.p50, 2)) / \(f(r.resultToNextJobMs.p99, 2)) | "
                          + "\(f(turnaround.p50, 2)) / \(f(turnaround.p99, 2)) | \(f(r.idleHeartbeatDelayMs.p99)) / \(f(r.loadHeartbeatDelayMs.p99)) | "
                          + "\(r.missedHeartbeats) | \(f(o.cpuSeconds)) (\(f(100 * o.cpuSeconds / max(o.total, 1e-9), 0)) %) | "
                          + "\(f(mib)); \(f(Double(o.peakMemoryGrowth) / 1024 / Double(n), 0)) | "
                          + "\(o.refusals.total) / \(o.keyRefusals["flood-0"] ?? 0) |")
                   }
                  }
                }
            }
        }
        print("\nresults / s: over the journal's first dispatch to last result. Result → next job: from a simulated worker "
              + "sending a result to its next job arriving (one slot each). Coordinator turnaround: the same, measured inside "
              + "the coordinator (result received → next job queued for sending). Zero-cost rows saturate the coordinator (their "
              + "latencies are its queue: N workers / results per second); paced rows offer a fixed load. The load generator runs on the same "
              + "machine and takes CPU of its own.")
    }

    /// The load generator (and the flooding peer): the generator exits once the coordinator shut its workers
    /// down (given 20 s, then torn down), and one that fails (its error is on stderr) ends the study, which
    /// would otherwise wait for it; the flooder is torn down with it.
    private func simulator(endpoint: String, count: Int, slots: Int, keys: String?, seconds: Double, report: String,
                           flood: Int?) -> [BenchmarkProcess] {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        // With a flooder, the load starts once it is flooding (its key is admitted and it is welcomed in about a second).
        let idle = flood == nil ? idleSeconds : max(idleSeconds, 4)
        var arguments = ["simulate-workers", "--connect", endpoint, "--count", String(count), "--slots", String(slots),
                         "--id-prefix", "bench", "--idle-seconds", String(idle), "--evaluation-seconds", String(seconds),
                         "--report", report]
        if let keys { arguments += ["--keys", keys] }
        let (program, programArguments) = simulatorCPUs.map { ("/usr/bin/taskset", ["-c", $0, executable] + arguments) }
            ?? (executable, arguments)
        var processes = [BenchmarkProcess(executable: program, arguments: programArguments, discardsOutput: true,
                                          stopsStudyOnFailure: true, exitGrace: .seconds(20))]
        if let flood {
            // A peer with a key of its own (made now; the coordinator's key watcher admits it within a second).
            let arguments = ["simulate-workers", "--connect", endpoint, "--count", "1", "--id-prefix", "flood",
                             "--flood-pairs", String(flood), "--load-timeout", "3600"]
                + (keys.map { ["--keys", $0, "--make-keys"] } ?? [])
            processes.append(BenchmarkProcess(executable: executable, arguments: arguments, discardsOutput: true))
        }
        return processes
    }
}
