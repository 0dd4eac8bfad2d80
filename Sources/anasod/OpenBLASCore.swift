import ArgumentParser
import BayesOpt
import Foundation

/// `anasod openblas-core` (hidden): prints the `OPENBLAS_CORETYPE` this machine needs, or nothing when
/// OpenBLAS's own choice is fine, so scripts can set it before other processes load OpenBLAS (the test
/// runner, say).
struct OpenBLASCore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openblas-core", abstract: "Print the OPENBLAS_CORETYPE this CPU needs (empty: none).", shouldDisplay: false)

    func run() throws {
        if let core = OpenBLASCoreSelection.recommendation(environment: ProcessInfo.processInfo.environment,
                                                           cpuFlags: OpenBLASCoreSelection.cpuFlags()) {
            print(core)
        }
    }
}
