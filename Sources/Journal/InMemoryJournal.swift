import Foundation

/// The in-memory twin of `SQLiteJournal`, for tests.
public final class InMemoryJournal: Journal, @unchecked Sendable {
    private let lock = NSLock()
    private var studyRecord: StudyRecord?
    private var stored = [JournalRecord]()

    public init() {}

    public func study() throws -> StudyRecord? { lock.withLock { studyRecord } }

    public func begin(_ study: StudyRecord) throws {
        try lock.withLock {
            guard studyRecord == nil else { throw JournalError(.studyMismatch, "the journal already holds study '\(studyRecord!.id)'") }
            studyRecord = study
        }
    }

    public func amendConfiguration(_ configuration: String) throws {
        try lock.withLock {
            guard studyRecord != nil else { throw JournalError(.studyMismatch, "the journal holds no study") }
            studyRecord!.configuration = configuration
        }
    }

    public func append(_ records: [JournalRecord]) throws { lock.withLock { stored += records } }

    public func records() throws -> [JournalRecord] { lock.withLock { stored } }
}
