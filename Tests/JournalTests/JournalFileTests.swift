import Foundation
@testable import Journal
import Testing

/// The journal and its lock file are created mode 0600 and never opened through a symbolic link: a link
/// planted at their names is refused with a clear error, and its target is left untouched.
@Suite struct JournalFileTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func aNewJournalAndItsLockAreReadableByTheirOwnerOnly() throws {
        let path = JournalTests.temporaryPath()
        defer { Self.remove(path) }
        let journal = try SQLiteJournal(path: path, exclusive: true)
        try journal.begin(StudyRecord(id: "private", configuration: "budget: 1\n", created: 1))
        #expect(Self.mode(path) == 0o600)
        #expect(Self.mode(path + ".lock") == 0o600)
        // SQLite gives the write-ahead log and shared memory the database's own mode.
        for companion in [path + "-wal", path + "-shm"] {
            if let mode = Self.mode(companion) { #expect(mode == 0o600, "\(companion)") }
        }
        #expect(try journal.study()?.id == "private")
    }

    @Test func aSymbolicLinkAtTheJournalIsRefused() throws {
        let path = JournalTests.temporaryPath()
        let target = JournalTests.temporaryPath()
        defer { Self.remove(path); Self.remove(target) }
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        for exclusive in [false, true] {
            do {
                _ = try SQLiteJournal(path: path, exclusive: exclusive)
                Issue.record("a journal was opened through a symbolic link")
            } catch let error as JournalError {
                #expect(error.code == .storage)
                #expect(error.message.contains("symbolic link"), "\(error.message)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(throws: JournalError.self) { _ = try DNASJournal(path: path) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func aSymbolicLinkAtTheWriteAheadLogIsRefused() throws {
        let path = JournalTests.temporaryPath()
        let target = JournalTests.temporaryPath()
        defer { Self.remove(path); Self.remove(target) }
        try FileManager.default.createSymbolicLink(atPath: path + "-wal", withDestinationPath: target)
        #expect(throws: JournalError.self) { _ = try SQLiteJournal(path: path) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func aSymbolicLinkAtTheLockIsRefused() throws {
        let path = JournalTests.temporaryPath()
        let target = JournalTests.temporaryPath()
        defer { Self.remove(path); Self.remove(target) }
        try FileManager.default.createSymbolicLink(atPath: path + ".lock", withDestinationPath: target)
        do {
            _ = try JournalLock(journalPath: path)
            Issue.record("the lock was taken through a symbolic link")
        } catch let error as JournalError {
            #expect(error.code == .storage)
            #expect(error.message.contains("symbolic link"), "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func anExistingJournalKeepsItsModeAndOpens() throws {
        let path = JournalTests.temporaryPath()
        defer { Self.remove(path) }
        try SQLiteJournal(path: path).begin(StudyRecord(id: "old", configuration: "", created: 1))
        #expect(chmod(path, 0o640) == 0)
        #expect(try SQLiteJournal(path: path).study()?.id == "old")
        #expect(Self.mode(path) == 0o640)
    }
}
