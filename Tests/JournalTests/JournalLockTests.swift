import Foundation
@testable import Journal
import Testing

@Suite struct JournalLockTests {
    @Test func aSecondWriterIsRefusedWhileTheFirstLivesAndAdmittedAfter() throws {
        let path = JournalTests.temporaryPath()
        defer { for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var first: SQLiteJournal? = try SQLiteJournal(path: path, exclusive: true)
        #expect(first != nil)
        do {
            _ = try SQLiteJournal(path: path, exclusive: true)
            Issue.record("a second writer was admitted")
        } catch let error as JournalError {
            #expect(error.code == .locked)
            #expect(error.message.contains("pid \(getpid())"))
        }
        // Readers (status, export) are not writers: they still open it.
        #expect(try SQLiteJournal(path: path).study() == nil)
        first = nil
        #expect(throws: Never.self) { _ = try SQLiteJournal(path: path, exclusive: true) }
    }

    @Test func theLockDiesWithItsProcess() throws {
        let path = JournalTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path + ".lock") }
        // A process holds an flock on the lock file and is killed -9: the lock goes with it. (`-o`: the lock
        // is the flock process's own, not inherited by its `sleep`.)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-o", path + ".lock", "sleep", "5"]
        try holder.run()
        let deadline = Date().addingTimeInterval(5)
        var refused = false
        while Date() < deadline {
            do {
                _ = try JournalLock(journalPath: path)
                Thread.sleep(forTimeInterval: 0.05)
            } catch {
                refused = true
                break
            }
        }
        #expect(refused)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(throws: Never.self) { _ = try JournalLock(journalPath: path) }
    }
}
