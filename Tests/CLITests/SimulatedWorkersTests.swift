import Foundation
import Testing

/// `anasod bench cluster --simulated-workers` in its short form: the real binary, a coordinator in it and
/// the load generator as a child process (its long form, 100 … 2,000 workers, is a benchmark:
/// cluster/SCALING.md).
@Suite struct SimulatedWorkersTests {
    @Test func theShortFormPrintsARowPerLoadWithEveryWorkerWelcomed() throws {
        let out = try CommandRunner.run(["bench", "cluster", "--simulated-workers", "30", "--simulated-strategies", "rs",
                                         "--simulated-budget", "300", "--offered-rate", "3000", "--idle-seconds", "0.5"])
        #expect(out.status == 0, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\n").filter { $0.hasPrefix("| 30/30 | CURVE | rs |") }
        #expect(rows.count == 2, "\(out.stdout)")
        #expect(rows.first?.contains("| zero-cost |") == true)
        #expect(rows.last?.contains("paced: 10 ms") == true)
        // Every row holds the budget's results.
        for row in rows { #expect(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[6] == "300") }
    }

    /// Issue 25: beside a peer flooding heartbeats of 65,536 job keys, the study still gets every result, and
    /// what the flood sent is refused and counted against the flooder's key.
    @Test func aFloodingPeerRowHoldsItsBudgetAndCountsTheFlood() throws {
        let out = try CommandRunner.run(["bench", "cluster", "--simulated-workers", "20", "--simulated-strategies", "rs",
                                         "--simulated-budget", "300", "--offered-rate", "0", "--idle-seconds", "0.5",
                                         "--flooding-peer", "65536"])
        #expect(out.status == 0, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\n").filter { $0.hasPrefix("| 20/20 | CURVE | rs |") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(rows.count == 2, "\(out.stdout)")
        guard rows.count == 2 else { return }
        #expect(rows[0][4] == "none" && rows[1][4].hasPrefix("65536"))
        #expect(rows.allSatisfy { $0[6] == "300" })
        let flooded = rows[1].last!.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
        #expect(flooded.count == 2 && flooded[1] > 0, "\(rows[1])")
    }

    @Test func badFlagsAreRefusedWithTheReason() throws {
        let none = try CommandRunner.run(["simulate-workers", "--connect", "tcp://127.0.0.1:1", "--count", "0"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("--count must be at least 1"))
        let keys = try CommandRunner.run(["simulate-workers", "--connect", "tcp://127.0.0.1:1", "--count", "2", "--make-keys"])
        #expect(keys.status != 0)
        #expect(keys.stderr.contains("--make-keys needs --keys DIR"))
        let remote = try CommandRunner.run(["simulate-workers", "--connect", "tcp://192.0.2.1:5555", "--count", "2"])
        #expect(remote.status != 0)
        #expect(remote.stderr.contains("without CURVE"))
        let fail = try CommandRunner.run(["simulate-workers", "--connect", "tcp://127.0.0.1:1", "--count", "1", "--fail-every", "x"])
        #expect(fail.status != 0)
        #expect(fail.stderr.contains("--fail-every must be one of"))
        let flood = try CommandRunner.run(["bench", "cluster", "--simulated-workers", "10", "--flooding-peer", "0"])
        #expect(flood.status != 0)
        #expect(flood.stderr.contains("--flooding-peer must be"))
        let counts = try CommandRunner.run(["bench", "cluster", "--simulated-workers", "10,x"])
        #expect(counts.status != 0)
        #expect(counts.stderr.contains("--simulated-workers takes worker counts"))
    }

    /// The benchmarks' old names (`bench-cluster`, …) run the new commands for one more release, saying so in
    /// one line; `anasod bench` alone is the search benchmark.
    @Test func theOldBenchmarkNamesStillWorkAndSayTheNewOnes() throws {
        let old = try CommandRunner.run(["bench-cluster", "--simulated-workers", "10,x"])
        #expect(old.status != 0)
        #expect(old.stderr.contains(
            "anasod: 'bench-cluster' is deprecated and goes in the next release: use 'anasod bench cluster'\n"))
        #expect(old.stderr.contains("--simulated-workers takes worker counts"))
        for (name, new) in [("bench-trainer", "bench trainer"), ("bench-proposals", "bench proposals")] {
            let help = try CommandRunner.run([name, "--help"])
            #expect(help.status == 0)
            #expect(help.stderr.contains("use 'anasod \(new)'"))
            #expect(help.stdout.contains("USAGE: anasod \(new)"), "\(help.stdout)")
        }
        let list = try CommandRunner.run(["--help"])
        #expect(!list.stdout.contains("bench-"), "the old names are listed: \(list.stdout)")
        let bench = try CommandRunner.run(["bench", "--help"])
        #expect(bench.stdout.contains("search (default)"))
        // The search benchmark's flags with no subcommand: `bench search`.
        let search = try CommandRunner.run(["bench", "--seeds", "0"])
        #expect(search.status != 0)
        #expect(search.stderr.contains("--seeds"), "\(search.stderr)")
    }
}
