import Foundation
@testable import Journal
import Testing
import TestSupport

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
        // posix_spawn and waitpid, not Foundation's Process: its waitUntilExit waited up to half a minute on a
        // loaded machine while other tests ran processes, holding one of the few Swift-concurrency threads.
        var pid: pid_t = 0
        let arguments = ["/usr/bin/flock", "-o", path + ".lock", "sleep", "5"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // In a process group of its own, killed as a group: flock and the `sleep` it forks go together (flock
        // forks right after taking the lock, and its child holds a copy of the descriptor until just before it
        // execs: a kill of flock alone in that instant left the lock with the child).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        #expect(posix_spawn(&pid, arguments[0], nil, &attributes, &argv, environ) == 0)
        // Another process takes the lock: refused once flock holds it.
        let refused = eventually(timeout: 5, every: 0.05) { (try? JournalLock(journalPath: path)) == nil }
        #expect(refused)
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        // The group's other member (sleep) is reaped by init; its descriptor is gone once it is killed, but the
        // kernel may take a moment to tear it down: within a second, the lock went with its processes.
        let free = eventually(timeout: 1, every: 0.01) { (try? JournalLock(journalPath: path)) != nil }
        #expect(free, "the lock outlived its processes")
    }
}

@Suite struct DamagedJournalTests {
    func damage(_ sql: String) throws -> JournalError? {
        let path = JournalTests.temporaryPath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try SQLiteJournal(path: path)
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        try journal.append(JournalTests.sample)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        do {
            _ = try journal.records()
            return nil
        } catch let error as JournalError {
            return error
        }
    }

    @Test func aDamagedRowIsAClearErrorNamingTheRowAndColumnNeverACrash() throws {
        let missingWorker = try damage("UPDATE record SET worker = NULL WHERE kind = 4")
        #expect(missingWorker?.code == .corrupt)
        #expect(missingWorker?.message.contains("column 'worker'") == true)
        let bare = try damage("INSERT INTO record(kind) VALUES (2)")
        #expect(bare?.code == .corrupt)
        #expect(bare?.message.contains("column 'job'") == true)
        let noKind = try damage("INSERT INTO record(kind, job) VALUES ('x', 3)")
        #expect(noKind?.code == .corrupt)
        #expect(noKind?.message.contains("column 'kind'") == true, "\(noKind?.message ?? "")")
        // Text where a number belongs is never read as 0 (a forged perfect result).
        let textError = try damage("UPDATE record SET val_error = 'bad' WHERE kind = 4")
        #expect(textError?.code == .corrupt)
        #expect(textError?.message.contains("column 'val_error'") == true, "\(textError?.message ?? "")")
        let textTime = try damage("UPDATE record SET time = 'noon' WHERE kind = 2")
        #expect(textTime?.message.contains("column 'time'") == true)
        let unknown = try damage("INSERT INTO record(kind, job, attempt) VALUES (99, 3, 1)")
        #expect(unknown?.message.contains("unknown kind 99") == true)
    }

    /// A recommendation row (kind 7) is read as strictly: text for its estimate, or a missing count, is corrupt.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 command"))
    func aDamagedRecommendationIsAClearError() throws {
        let textEstimate = try damage("UPDATE record SET estimate = 'low' WHERE kind = 7")
        #expect(textEstimate?.code == .corrupt)
        #expect(textEstimate?.message.contains("column 'estimate'") == true, "\(textEstimate?.message ?? "")")
        let noRuns = try damage("UPDATE record SET runs = NULL WHERE kind = 7")
        #expect(noRuns?.code == .corrupt && noRuns?.message.contains("column 'runs'") == true)
        let noPlace = try damage("UPDATE record SET observed = NULL WHERE kind = 7")
        #expect(noPlace?.code == .corrupt && noPlace?.message.contains("column 'observed'") == true)
        let bare = try damage("INSERT INTO record(kind, time) VALUES (7, 1)")
        #expect(bare?.code == .corrupt && bare?.message.contains("column 'arch'") == true)
    }
}
