import ArgumentParser
import Foundation

/// `anasod bench`: the benchmarks, one subcommand each. `anasod bench` with no subcommand (or with the search
/// benchmark's flags) is `anasod bench search`, as it was before the others joined it.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: search strategies on NB201 (the default), the cluster, the trainer, propose calls.",
        subcommands: [BenchSearch.self, BenchCluster.self, BenchTrainer.self, BenchProposals.self],
        defaultSubcommand: BenchSearch.self)
}

/// The benchmarks' names before `anasod bench <what>`, kept for one release and listed nowhere: the command
/// line is read as the new one (its flags, help and errors too), after one line on standard error.
enum DeprecatedBenchName {
    static let replacements = ["bench-cluster": ["bench", "cluster"], "bench-trainer": ["bench", "trainer"],
                               "bench-proposals": ["bench", "proposals"]]

    /// `arguments` (without the program's name) with an old name replaced, and the notice to print, if any.
    static func rewrite(_ arguments: [String]) -> (arguments: [String], notice: String?) {
        guard let first = arguments.first, let new = replacements[first] else { return (arguments, nil) }
        let notice = "anasod: '\(first)' is deprecated and goes in the next release: "
            + "use 'anasod \(new.joined(separator: " "))'"
        return (new + arguments.dropFirst(), notice)
    }
}
