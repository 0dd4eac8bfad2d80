import ANASOD
import ArgumentParser
import Cluster
import Foundation
import Wire

/// `anasod simulate-workers`: N zero-cost workers in one process, each a real connection with its own key,
/// against a running coordinator (a load test; `anasod bench cluster --simulated-workers` drives it).
struct SimulateWorkers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-workers",
        abstract: "Load-test a coordinator: N workers in one process (real DEALER sockets, CURVE, heartbeats), zero-cost evaluations.",
        discussion: """
            Each simulated worker is ID-PREFIX-i (i = 0 … COUNT-1) with the key pair KEYS/local/ID.key_secret; \
            --make-keys creates the missing ones, and KEYS/workers/*.key are then what the coordinator's keys \
            folder must admit (copy them to its workers/ folder). The coordinator's public key is \
            KEYS/coordinator.key or --coordinator-key. Without --keys the sockets are plain (loopback only). \
            The study must use the synthetic evaluator (evaluator.kind: synthetic). The simulator says hello, \
            waits until every worker is welcomed, stays idle --idle-seconds (heartbeats only), then asks for \
            jobs and answers each at once (or after --evaluation-seconds) until the coordinator shuts the workers down.
            """)

    @Option(help: "The coordinator's endpoint (tcp://HOST:PORT or ipc://PATH).") var connect: String
    @Option(help: "Simulated workers.") var count: Int
    @Option(help: "Slots per simulated worker.") var slots = 1
    @Option(help: "Worker ids are ID-PREFIX-0, ID-PREFIX-1, ….") var idPrefix = "sim"
    @Option(help: "Keys folder (local/ID.key_secret per worker, coordinator.key).") var keys: String?
    @Option(help: "The coordinator's public certificate (instead of KEYS/coordinator.key).") var coordinatorKey: String?
    @Flag(help: "Create the worker key pairs missing in KEYS (their public halves in KEYS/workers/).") var makeKeys = false
    @Option(help: "Seconds with every worker connected and idle before the load starts.") var idleSeconds = 3.0
    @Option(help: "Seconds to wait for all welcomes before starting anyway.") var connectTimeout = 60.0
    @Option(help: "Seconds after which the load ends without a shutdown.") var loadTimeout = 600.0
    @Option(help: "ZeroMQ I/O threads (CURVE's encryption runs on them).") var ioThreads = 1
    @Option(help: "Mean seconds a simulated evaluation takes (0.5–1.5 times it, uniformly); 0: answered at once.")
    var evaluationSeconds = 0.0
    @Option(help: "Write what was measured to this file as JSON.") var report: String?
    @Option(help: ArgumentHelp("Instead of workers: flooding peers, each sending heartbeats that list this many job keys "
                               + "as fast as the network takes them until shut down or --load-timeout (issue 25's flood: 65536).",
                               valueName: "PAIRS"))
    var floodPairs: Int?
    @Option(help: ArgumentHelp("Fail every job with this class instead of evaluating it (a black hole: "
                               + "configuration, data, resource, transient or architecture).", valueName: "CLASS"))
    var failEvery: String?

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard (1...4096).contains(slots) else { throw ValidationError("--slots must be in 1…4096") }
        guard idleSeconds >= 0, connectTimeout > 0, loadTimeout > 0, evaluationSeconds >= 0, evaluationSeconds.isFinite else {
            throw ValidationError("--idle-seconds and --evaluation-seconds must be ≥ 0 and the timeouts > 0")
        }
        guard !idPrefix.isEmpty, idPrefix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ValidationError("--id-prefix may hold only letters, digits, '-' and '_'")
        }
        if makeKeys && keys == nil { throw ValidationError("--make-keys needs --keys DIR") }
        if let floodPairs, !(1...1_000_000).contains(floodPairs) { throw ValidationError("--flood-pairs must be in 1…1000000") }
        if let failEvery, FailureClass(rawValue: failEvery) == nil {
            throw ValidationError("--fail-every must be one of: \(FailureClass.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let limit = FileLimit.raise()
        // Each connection takes a socket and a mailbox descriptor here; leave room for the rest.
        if limit < UInt64(2 * count + 64) {
            throw ClusterError(.run, "\(count) workers need about \(2 * count + 64) open files; this process may open \(limit) "
                                  + "(raise the hard limit: ulimit -Hn, or LimitNOFILE= under systemd)")
        }
        let identities = (0..<count).map { "\(idPrefix)-\($0)" }
        var security = [ClientSecurity](repeating: .none, count: count)
        if let keys {
            if makeKeys { try KeyFolder.makeWorkerPairs(keys, workers: identities) }
            let coordinator = try KeyFolder.worker(directory: nil, key: "\(keys)/local/\(identities[0]).key_secret",
                                                   coordinatorKey: coordinatorKey ?? "\(keys)/coordinator.key")
            guard case .curve(_, let coordinatorPublic)? = coordinator else { throw ValidationError("no CURVE keys in \(keys)") }
            for (i, id) in identities.enumerated() {
                let pair = try CurveCertificate.read("\(keys)/local/\(id).key_secret", requireSecret: true)
                security[i] = .curve(pair, coordinator: coordinatorPublic)
            }
        }
        if let floodPairs {
            let peers = identities.enumerated().map { i, id in
                FloodingPeer(endpoint: connect, identity: id, security: security[i], pairs: floodPairs, seconds: loadTimeout)
            }
            let totals = Totals()
            DispatchQueue.concurrentPerform(iterations: peers.count) { i in
                do {
                    let sent = try peers[i].run()
                    totals.add(sent.messages, sent.bytes)
                } catch {
                    FileHandle.standardError.write(Data("simulate-workers: \(identities[i]): \(error)\n".utf8))
                }
            }
            print("flooded: \(totals.messages) message(s), \(totals.bytes / 1_048_576) MiB")
            return
        }
        var settings = WorkerSimulator.Settings(endpoint: connect, identities: identities, security: security)
        settings.slots = slots
        settings.idleSeconds = idleSeconds
        settings.connectTimeout = connectTimeout
        settings.loadTimeout = loadTimeout
        settings.ioThreads = ioThreads
        settings.evaluationSeconds = evaluationSeconds
        settings.failEvery = failEvery.flatMap(FailureClass.init(rawValue:))
        let outcome = try WorkerSimulator(settings: settings).run()
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(outcome).write(to: URL(fileURLWithPath: report))
        }
        print("\(outcome.welcomed)/\(outcome.workers) welcomed in \(String(format: "%.2f", outcome.connectSeconds)) s; "
              + "\(outcome.results) results in \(String(format: "%.2f", outcome.loadSeconds)) s "
              + "(\(String(format: "%.0f", outcome.resultsPerSecond))/s); result → next job p50 "
              + "\(String(format: "%.2f", outcome.resultToNextJobMs.p50)) ms, p99 \(String(format: "%.2f", outcome.resultToNextJobMs.p99)) ms; "
              + "heartbeat delay p99 idle \(String(format: "%.1f", outcome.idleHeartbeatDelayMs.p99)) ms, "
              + "under load \(String(format: "%.1f", outcome.loadHeartbeatDelayMs.p99)) ms; \(outcome.missedHeartbeats) missed")
        for refusal in outcome.refusals { print("refused: \(refusal)") }
        if outcome.welcomed < outcome.workers {
            throw ClusterError(.run, "only \(outcome.welcomed) of \(outcome.workers) workers were welcomed")
        }
    }
}

/// Counts summed across threads.
private final class Totals: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var messages = 0
    private(set) var bytes = 0
    func add(_ m: Int, _ b: Int) { lock.withLock { messages += m; bytes += b } }
}
