/// Why an evaluation failed, which decides what the coordinator does next (cluster/PROTOCOL.md,
/// cluster/TRAINER.md).
public enum FailureClass: String, Sendable, Hashable, CaseIterable {
    /// The study's settings cannot work (a trainer that rejects them, a broken trainer): the study stops at
    /// the first one, unless other workers have succeeded with the same settings (then it is that worker's).
    case configuration
    /// Input missing or unreadable on that worker (a table, a data set, a library): that worker gets no
    /// more such jobs; the job is retried elsewhere.
    case data
    /// Out of memory, a GPU error: retried on another worker where there is one; the worker is marked.
    case resource
    /// A lost worker, a timeout, a crash of unknown cause: retried up to `jobs.max_attempts`.
    case transient
    /// The cell itself fails (a NaN loss, not in the table): recorded and reported to the strategy as a
    /// failure, never retried.
    case architecture

    /// Whether another attempt of the same job may succeed.
    public var retryable: Bool {
        switch self {
        case .data, .resource, .transient: true
        case .configuration, .architecture: false
        }
    }
}
