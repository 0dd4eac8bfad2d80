import ArgumentParser
import BayesOpt
import Cluster
import Foundation

@main
struct Anasod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anasod",
        abstract: "ANASOD Cluster: neural-architecture search by operation-distribution learning (arXiv 2111.04670).",
        subcommands: [SearchCommand.self, CheckCommand.self, CoordinatorCommand.self, WorkerCommand.self, KeysCommand.self, StatusCommand.self, ExportCommand.self, ReportCommand.self, Analyze.self, Bench.self, SimulateWorkers.self, DNASCommand.self, Decode.self, Encode.self, OpenBLASCore.self]
    )

    /// Re-executes with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its slowest kernels on this CPU
    /// (the choice is logged; `OPENBLAS_CORETYPE` set by the user always wins), then runs the command.
    static func main() async {
        // Only the commands that spend their time in BLAS (training, GPs) are worth a re-exec; the others
        // keep their output to the point (a one-line error stays one line).
        // (bench-trainer, bench-cluster, bench-proposals: the benchmarks' deprecated names, DeprecatedBenchName.)
        let heavy: Set<String> = ["search", "coordinator", "worker", "bench", "bench-trainer", "bench-cluster", "bench-proposals", "dnas"]
        if CommandLine.arguments.count > 1, heavy.contains(CommandLine.arguments[1]),
           let core = OpenBLASCoreSelection.recommendation(environment: ProcessInfo.processInfo.environment,
                                                           cpuFlags: OpenBLASCoreSelection.cpuFlags()) {
            FileHandle.standardError.write(Data("anasod: OpenBLAS picked its generic Prescott kernels on this CPU; re-running with OPENBLAS_CORETYPE=\(core)\n".utf8))
            setenv("OPENBLAS_CORETYPE", core, 1)
            let arguments = CommandLine.arguments
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
            argv.append(nil)
            execv("/proc/self/exe", &argv)
            // execv returned: keep going with the slow kernels, results are the same.
        }
        do {
            let (arguments, notice) = DeprecatedBenchName.rewrite(Array(CommandLine.arguments.dropFirst()))
            if let notice { FileHandle.standardError.write(Data((notice + "\n").utf8)) }
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ClusterError where error.code == .stopped {
            // Status 3: stopped for good; systemd units say RestartPreventExitStatus=3.
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            Foundation.exit(3)
        } catch {
            exit(withError: error)
        }
    }
}
