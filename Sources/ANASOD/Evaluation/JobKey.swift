/// A job's identity: the id and the attempt (a re-leased job gets a new attempt; results are idempotent
/// on this pair). One lease: what the wire, the journal's fold and both state machines key on.
public struct JobKey: Hashable, Sendable, Comparable {
    public var jobID: UInt64
    public var attempt: Int

    public init(jobID: UInt64, attempt: Int) {
        self.jobID = jobID
        self.attempt = attempt
    }

    public static func < (a: JobKey, b: JobKey) -> Bool { (a.jobID, a.attempt) < (b.jobID, b.attempt) }
}
