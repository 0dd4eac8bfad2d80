import ANASOD
import Foundation
@testable import Journal
import Testing

/// A journal written by an older build opens, migrates and reads as it did, and takes the new records.
@Suite struct JournalMigrationTests {
    static func sqlite3(_ path: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 failed on \(sql)")
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A format-v4 journal as the build before recommendations wrote it (migrations v1 to v4, GRDB's own table
    /// of applied migrations), with a study, a propose call, a dispatch and a result.
    static let v4 = """
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1'), ('v2'), ('v3'), ('v4');
        CREATE TABLE study(id TEXT PRIMARY KEY NOT NULL, configuration TEXT NOT NULL, created REAL NOT NULL,
                           format INTEGER NOT NULL);
        CREATE TABLE record(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, time REAL,
                            call INTEGER, job INTEGER, attempt INTEGER, worker TEXT, arch TEXT, encoding TEXT,
                            epoch INTEGER, loss REAL, val_error REAL, test_error REAL, seconds REAL,
                            params INTEGER, flops INTEGER, reason TEXT, final INTEGER);
        CREATE INDEX record_job ON record(job);
        CREATE VIEW results AS
            SELECT r.job, r.attempt, r.worker, p.arch, r.val_error, r.test_error, r.seconds, r.params, r.flops, r.time
            FROM record r JOIN record p ON p.kind = 1 AND p.job = r.job
            WHERE r.kind = 4;
        ALTER TABLE record ADD COLUMN class TEXT;
        ALTER TABLE record ADD COLUMN key TEXT;
        ALTER TABLE record ADD COLUMN observed INTEGER;
        INSERT INTO study VALUES ('old', 'budget: 3', 1, 1);
        INSERT INTO record(kind, call, job, arch, encoding, observed) VALUES (1, 0, 1, '|a|', '[[0.5,0.5]]', 0);
        INSERT INTO record(kind, time, job, attempt, worker, key) VALUES (2, 10, 1, 1, 'w1', 'node-1');
        INSERT INTO record(kind, time, job, attempt, worker, val_error, seconds) VALUES (4, 11, 1, 1, 'w1', 6.25, 812.5);
        """

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 command"))
    func aV4JournalMigratesAndTakesRecommendations() throws {
        let path = JournalTests.temporaryPath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        _ = try Self.sqlite3(path, Self.v4)
        let old: [JournalRecord] = [
            .proposed(call: 0, jobs: [.init(job: 1, architecture: "|a|", encoding: [[0.5, 0.5]])], observed: 0),
            .dispatched(job: 1, attempt: 1, worker: "w1", key: "node-1", time: 10),
            .result(job: 1, attempt: 1, worker: "w1", metrics: .init(validationError: 6.25, trainSeconds: 812.5), time: 11),
        ]
        let recommended = JournalRecord.recommended(architecture: "|a|", estimate: 6.5, observations: 1, afterObservations: 1,
                                                    afterCalls: 1, time: 12)
        do {
            let journal = try SQLiteJournal(path: path)
            #expect(try journal.study()?.id == "old")
            #expect(try journal.records() == old)
            #expect(JournalReplay(try journal.records()).recommendation == nil)
            try journal.append([recommended])
            try journal.close()
        }
        #expect(try Self.sqlite3(path, "SELECT identifier FROM grdb_migrations ORDER BY identifier") == "v1\nv2\nv3\nv4\nv5\nv6\nv7")
        // The new view reads as documented, for plain sqlite3 users.
        #expect(try Self.sqlite3(path, "SELECT after_observations, after_calls, arch, estimate, runs FROM recommendations")
                == "1|1||a||6.5|1")
        // v6: the results view says which results early stopping stopped (none here).
        #expect(try Self.sqlite3(path, "SELECT job, val_error, stopped_at_epoch IS NULL FROM results") == "1|6.25|1")
        let reopened = try SQLiteJournal(path: path)
        #expect(try reopened.records() == old + [recommended])
        let stopped = JournalRecord.result(job: 1, attempt: 2, worker: "w1",
                                           metrics: .init(validationError: 40, trainSeconds: 3, stoppedAtEpoch: 1), time: 13)
        try reopened.append([stopped])
        #expect(try reopened.records().last == stopped)
        #expect(try Self.sqlite3(path, "SELECT stopped_at_epoch FROM results WHERE attempt = 2") == "1")
        #expect(JournalReplay(try reopened.records()).recommendation?.estimate == 6.5)
    }
}
