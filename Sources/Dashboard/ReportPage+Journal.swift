import Cluster
import Journal

extension ReportPage {
    /// The report of the journal at `path` as it is now; nil while it holds no study yet.
    /// - Throws: what opening or reading the journal threw (`JournalError`, `ClusterError`): a real error,
    ///   which the dashboard shows as one, never as "no study yet".
    static func current(journalPath path: String) throws -> ReportPage? {
        let journal = try SQLiteJournal(path: path)
        guard try journal.study() != nil else { return nil }
        return try ReportPage(journals: [journal])
    }
}
