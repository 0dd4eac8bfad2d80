import Foundation
import Journal
import Logging
import Search
import Wire

/// Measures the cluster itself: a coordinator in this process, worker processes beside it (what `processes`
/// names, started and awaited here), one study per scenario with a fresh journal, and figures read back from
/// the journal.
public struct ClusterBenchmark: Sendable {
    public struct Scenario: Sendable {
        public var workers: Int
        public var slotsPerWorker: Int
        public var budget: Int
        public var seconds: Double
        public var strategy: String
        /// CurveZMQ on (a fresh key set per scenario), or plain sockets on loopback.
        public var curve: Bool

        public init(workers: Int, slotsPerWorker: Int, budget: Int, seconds: Double, strategy: String, curve: Bool = true) {
            self.curve = curve
            self.workers = workers
            self.slotsPerWorker = slotsPerWorker
            self.budget = budget
            self.seconds = seconds
            self.strategy = strategy
        }
    }

    public struct Outcome: Sendable {
        public var scenario: Scenario
        /// Wall seconds from the first job sent to the last result in.
        public var span: Double
        /// Results per second over that span.
        public var rate: Double
        /// Wall seconds of the whole study, workers' start-up included.
        public var total: Double
        public var latencies: [(observations: Int, seconds: Double)]
        /// CPU seconds (user + system) of this process while the study ran: the coordinator's, when the
        /// workers are other processes.
        public var cpuSeconds: Double
        /// The most this process's resident memory rose above its level before the study, in bytes
        /// (sampled every 50 ms).
        public var peakMemoryGrowth: Int
        /// What the coordinator refused, by kind and by key.
        public var refusals = RefusalCounts()
        public var keyRefusals = [String: Int]()
    }

    /// The processes to run beside the coordinator: `count` workers (or a load generator holding `count`
    /// connections) connected to `endpoint`, worker `i` with the key pair `keys/local/bench-i.key_secret` and the
    /// coordinator key `keys/coordinator.key` when `keys` is given. `run` starts them, awaits their exits and
    /// tears down any still running once the study is over (`BenchmarkProcess`).
    public typealias Processes = @Sendable (_ endpoint: String, _ count: Int, _ slots: Int, _ keys: String?) throws
        -> [BenchmarkProcess]

    public let directory: String
    public let processes: Processes

    public init(directory: String, processes: @escaping Processes) {
        self.directory = directory
        self.processes = processes
    }

    public func run(_ scenario: Scenario, name: String) async throws -> Outcome {
        var c = StudyConfiguration(study: name, journal: "\(directory)/\(name).sqlite")
        c.strategy = try StrategyChoice(parsing: scenario.strategy)
        c.budget = scenario.budget
        c.evaluator.kind = .synthetic
        c.evaluator.seconds = scenario.seconds
        c.listen = "tcp://127.0.0.1:0"
        c.heartbeatInterval = 1
        c.workerTimeout = 30
        try? FileManager.default.removeItem(atPath: c.journal)
        let journal = try SQLiteJournal(path: c.journal)
        var logger = Logger(label: "bench cluster")
        logger.logLevel = .warning
        var keys: String?
        if scenario.curve {
            keys = "\(directory)/\(name).keys"
            try KeyFolder.makeLocalSet(keys!, workers: (0..<scenario.workers).map { "bench-\($0)" })
        } else {
            c.security = .none
        }
        let (security, watcher) = try ClusterSecurity.server(for: c, keys: keys, logger: logger)
        defer { watcher?.stop() }
        let server = try ZeroMQServer(bind: c.listen, security: security)
        let coordinator = try Coordinator(configuration: c, journal: journal, transport: server, resume: false, logger: logger)
        coordinator.progressInterval = 3600
        let memory = MemorySampler()
        let cpuBefore = WorkerSimulator.cpuSeconds()
        let children = try processes(server.endpoint, scenario.workers, scenario.slotsPerWorker, keys)
        let status = try await run(coordinator, beside: children)
        let cpu = WorkerSimulator.cpuSeconds() - cpuBefore
        let growth = memory.stop()
        let replay = JournalReplay(try journal.records())
        let results = replay.accepted.compactMap { replay[job: $0]?.result?.time }
        let first = replay.dispatchOrder.first.flatMap { replay[job: $0.job]?.attempts[$0.position].dispatched }
        let span = (results.max() ?? 0) - (first ?? 0)
        return Outcome(scenario: scenario, span: span, rate: span > 0 ? Double(results.count) / span : 0,
                       total: status.elapsed, latencies: coordinator.resultToJobLatencies, cpuSeconds: cpu,
                       peakMemoryGrowth: growth, refusals: status.refusals, keyRefusals: status.keyRefusals)
    }
}

/// Samples this process's resident memory (`/proc/self/statm`) on a thread of its own until `stop`.
final class MemorySampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peak: Int
    private let baseline: Int
    private let done = DispatchSemaphore(value: 0)

    init() {
        baseline = Self.resident()
        peak = baseline
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                let now = Self.resident()
                lock.withLock { peak = max(peak, now) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            done.signal()
        }
        thread.name = "anasod.memory-sampler"
        thread.start()
    }

    /// Stops sampling; returns the peak rise over the baseline, in bytes.
    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return max(0, lock.withLock { max(peak, Self.resident()) } - baseline)
    }

    /// Resident bytes of this process (0 where /proc is missing).
    static func resident() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
