import ANASOD

/// One entry of a run's journal. Journals are append-only; a run is rebuilt by replaying its records in
/// order. Each kind has an explicit, never-reused code (the `kind` column).
public enum JournalRecord: Hashable, Sendable {
    /// One propose call of the strategy: its jobs, in order (`call` numbers the calls from 0), and the number of
    /// outcomes (results and final failures) the strategy had observed when it made the call (nil in journals
    /// written before it was recorded, where a call's place among the outcomes is its place in the journal).
    case proposed(call: Int, jobs: [ProposedJob], observed: Int? = nil)
    /// A job leased to a worker: its id, and the name of the CURVE key it authenticated with (nil on plain
    /// sockets and in journals written before keys were recorded). A claim after a restart is honoured only
    /// from that key.
    case dispatched(job: UInt64, attempt: Int, worker: String, key: String? = nil, time: Double)
    /// A progress report (one per epoch).
    case progress(job: UInt64, attempt: Int, progress: EpochProgress)
    /// A finished evaluation.
    case result(job: UInt64, attempt: Int, worker: String, metrics: Metrics, time: Double)
    /// A failed attempt and its class (nil in journals written before classes); `final` when the job will
    /// not be retried (reported to the strategy as a failure).
    case failure(job: UInt64, attempt: Int, worker: String, reason: String, class: FailureClass?, final: Bool, time: Double)
    /// What the coordinator decided about a worker (it gets no more jobs, and why), for `anasod status`.
    case note(worker: String, message: String, time: Double)
    /// The cell the strategy recommends (issue 26), journaled when it changed: its architecture, the strategy's
    /// estimate of its validation error (%; a cell GP's posterior mean, else the cell's mean result), the
    /// results of the cell it has seen, and its place in the strategy's history: the outcomes it had observed
    /// and the propose calls it had made when it was asked. Not a strategy event: a replay of the strategy
    /// skips it.
    case recommended(architecture: String, estimate: Double, observations: Int, afterObservations: Int, afterCalls: Int,
                     time: Double)

    public struct ProposedJob: Hashable, Sendable {
        public var job: UInt64
        public var architecture: String
        public var encoding: [[Double]]

        public init(job: UInt64, architecture: String, encoding: [[Double]]) {
            self.job = job
            self.architecture = architecture
            self.encoding = encoding
        }
    }

    /// The stored kind code.
    public var kind: Int {
        switch self {
        case .proposed: 1
        case .dispatched: 2
        case .progress: 3
        case .result: 4
        case .failure: 5
        case .note: 6
        case .recommended: 7
        }
    }
}

/// The study a journal belongs to: written once, when the run starts.
public struct StudyRecord: Hashable, Sendable {
    public var id: String
    /// The run's configuration, as the user wrote it (YAML), for `status` and to check a resume.
    public var configuration: String
    public var created: Double
    /// The journal format version.
    public var formatVersion: Int

    public static let currentFormat = 1

    public init(id: String, configuration: String, created: Double, formatVersion: Int = StudyRecord.currentFormat) {
        self.id = id
        self.configuration = configuration
        self.created = created
        self.formatVersion = formatVersion
    }
}

/// The one public error type of the `Journal` module.
public struct JournalError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The database cannot be opened, read or written.
        case storage
        /// A record that cannot be decoded (a newer format, or a hand-edited row).
        case corrupt
        /// A resume against a journal of another study, or no study at all.
        case studyMismatch
        /// Another coordinator writes this journal (`JournalLock`).
        case locked
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The durable record of a run. Appends are durable when they return (written before acknowledged).
public protocol Journal: Sendable {
    /// The study, or nil for a new journal.
    func study() throws -> StudyRecord?
    /// Writes the study record (once).
    func begin(_ study: StudyRecord) throws
    /// Replaces the study's stored configuration (a resume that was allowed to change it).
    func amendConfiguration(_ configuration: String) throws
    /// Appends records atomically, in order.
    func append(_ records: [JournalRecord]) throws
    /// Every record in append order.
    func records() throws -> [JournalRecord]
}
