import ArgumentParser
import Cluster
import Foundation
import Journal
import Search

/// Flags that override single values of a study configuration.
struct StudyOverrides: ParsableArguments {
    @Option(help: "Study configuration (YAML); see configs/README.md.")
    var config: String

    @Option(help: "Override: the study id.") var study: String?
    @Option(help: "Override: the strategy.") var strategy: String?
    @Option(help: "Override: successful results to collect.") var budget: Int?
    @Option(help: "Override: the seed.") var seed: UInt64?
    @Option(help: "Override: the SQLite journal path.") var journal: String?
    @Option(help: "Override: where the coordinator listens (tcp://HOST:PORT, port 0 for any; ipc://PATH).") var listen: String?
    @Option(help: "Override: the data set (an NB201 table name or CSV for the table evaluator).") var dataset: String?
    @Option(help: "Override: simulated seconds per evaluation.") var seconds: Double?
    @Option(help: "Override: the keys folder (coordinator.key_secret, workers/*.key); see cluster/SECURITY.md.") var keys: String?
    @Option(help: "Override: curve (default: CurveZMQ, only admitted worker keys) or none (plain; loopback and ipc:// only).")
    var security: SecurityMode?
    @Flag(help: "Keep the journal on a network file system (NFS, SMB, Lustre, …) although SQLite's locking is unsafe there.")
    var allowNetworkJournal = false

    func load() throws -> StudyConfiguration {
        var c = try StudyConfiguration(file: config)
        if let study { c.study = study }
        if let strategy {
            do {
                c.strategy = try StrategyChoice(parsing: strategy)
            } catch let error as SearchError {
                throw ValidationError("--strategy: \(error.message)")
            }
        }
        if let budget { c.budget = budget }
        if let seed { c.seed = seed }
        if let journal { c.journal = journal }
        if let listen { c.listen = listen }
        if let dataset { c.evaluator.dataset = dataset }
        if let seconds { c.evaluator.seconds = seconds }
        if let keys { c.keys = keys }
        if let security { c.security = security }
        try c.validate()
        switch JournalLocation.kind(ofJournal: c.journal) {
        case .network where !allowNetworkJournal:
            throw ValidationError(JournalLocation.problem(ofJournal: c.journal)!)
        case .unknown(let name):
            FileHandle.standardError.write(Data(("warning: journal '\(c.journal)' is on \(name), which may be a network file "
                                                 + "system: SQLite needs local locks; prefer a local disk\n").utf8))
        default: break
        }
        return c
    }
}

/// Prints the outcome (`RunSummary`); a study that stopped because evaluations kept failing is an error
/// (exit status 3).
func finish(_ status: CoordinatorStatus, journal: String) throws {
    printSummary(status, journal: journal)
    if let reason = status.abortReason { throw ClusterError(.stopped, "study stopped: \(reason)") }
}

func printSummary(_ status: CoordinatorStatus, journal: String) {
    print(RunSummary.lines(status, journal: journal).joined(separator: "\n"))
}
