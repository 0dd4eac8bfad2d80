import Foundation
import Journal

extension Coordinator {
    /// Opens (or creates, with its folder) the SQLite journal at `path` for a coordinator: its one writer, so a
    /// second coordinator on the same journal is refused.
    /// - Throws: `JournalError` naming the journal's path (also when its folder cannot be made).
    public static func openJournal(_ path: String) throws -> SQLiteJournal {
        let directory = (path as NSString).deletingLastPathComponent
        // A folder that cannot be made is reported by SQLiteJournal's error below, which names the journal's path.
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        return try SQLiteJournal(path: path, exclusive: true)
    }
}
