import ANASOD
import Foundation
import GRDB

/// The journal in an SQLite database (GRDB), readable with plain `sqlite3`. Schema (format 1):
///
///     study(id TEXT PRIMARY KEY, configuration TEXT, created REAL, format INTEGER)
///     record(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER, time REAL, call INTEGER,
///            job INTEGER, attempt INTEGER, worker TEXT, arch TEXT, encoding TEXT,
///            epoch INTEGER, loss REAL, val_error REAL, test_error REAL, seconds REAL,
///            params INTEGER, flops INTEGER, reason TEXT, final INTEGER, class TEXT)
///     VIEW results(job, attempt, worker, arch, val_error, test_error, seconds, params, flops, time)
///
/// `kind`: 1 proposed (one row per job, `call` groups a propose call; a call that returned nothing is one
/// row with a NULL job), 2 dispatched, 3 progress,
/// 4 result, 5 failure (`class`: its failure class, since migration v2), 6 a note about a worker (`worker`,
/// `reason`). `encoding` is JSON (`[[p, …], …]`, one array per cell type). The database runs in
/// WAL mode with `synchronous = NORMAL`: an append that returned survives the death of the process
/// (`kill -9`, a crash) — the failure the cluster is built to survive; a power cut may lose the last
/// transactions, which the coordinator then re-leases. `durable: true` selects `synchronous = FULL`
/// (one fsync per append) for those who need power-loss durability.
public final class SQLiteJournal: Journal, @unchecked Sendable {
    public let path: String
    private let queue: DatabaseQueue
    /// Held by a writer opened with `exclusive: true` for as long as the journal is open.
    private let lock: JournalLock?

    /// Opens (creating if needed, mode 0600) the journal at `path`; a symbolic link there is refused
    /// (`JournalFile`).
    /// - Throws: `JournalError.storage` with the path and SQLite's message.
    /// With `exclusive`, the journal's single writer: a second one (another coordinator) is refused
    /// (`JournalError.locked`) while this one lives.
    public init(path: String, durable: Bool = false, exclusive: Bool = false) throws {
        self.path = path
        lock = exclusive ? try JournalLock(journalPath: path) : nil
        do {
            try JournalFile.prepare(path)  // created 0600; never through a symbolic link
            var configuration = Configuration()
            let synchronous = durable ? "FULL" : "NORMAL"
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            _ = try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "cannot open journal '\(path)': \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
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
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE record ADD COLUMN class TEXT")
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "ALTER TABLE record ADD COLUMN key TEXT")  // the worker's key name (dispatched)
        }
        return migrator
    }

    public func study() throws -> StudyRecord? {
        try wrap("read the study") {
            try queue.read { db in
                try Row.fetchOne(db, sql: "SELECT id, configuration, created, format FROM study").map {
                    StudyRecord(id: $0["id"], configuration: $0["configuration"], created: $0["created"], formatVersion: $0["format"])
                }
            }
        }
    }

    public func begin(_ study: StudyRecord) throws {
        try wrap("write the study") {
            try queue.write { db in
                if let existing = try String.fetchOne(db, sql: "SELECT id FROM study") {
                    throw JournalError(.studyMismatch, "journal '\(path)' already holds study '\(existing)'")
                }
                try db.execute(sql: "INSERT INTO study(id, configuration, created, format) VALUES (?, ?, ?, ?)",
                               arguments: [study.id, study.configuration, study.created, study.formatVersion])
            }
        }
    }

    public func amendConfiguration(_ configuration: String) throws {
        try wrap("amend the study's configuration") {
            try queue.write { db in try db.execute(sql: "UPDATE study SET configuration = ?", arguments: [configuration]) }
        }
    }

    public func append(_ records: [JournalRecord]) throws {
        guard !records.isEmpty else { return }
        try wrap("append to the journal") {
            try queue.write { db in
                for record in records {
                    for row in Self.rows(record) {
                        try db.execute(sql: """
                            INSERT INTO record(kind, time, call, job, attempt, worker, arch, encoding, epoch, loss,
                                               val_error, test_error, seconds, params, flops, reason, final, class, key)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, arguments: StatementArguments(row + Array(repeating: nil, count: max(0, 19 - row.count))))
                    }
                }
            }
        }
    }

    public func records() throws -> [JournalRecord] {
        try wrap("read the journal") {
            try queue.read { db in
                var out = [JournalRecord]()
                var batch: (call: Int, jobs: [JournalRecord.ProposedJob])?
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM record ORDER BY seq")
                while let row = try rows.next() {
                    let kind: Int = try Self.column(row, "kind")
                    if kind == 1, (row["job"] as DatabaseValue?)?.isNull ?? true {
                        // A propose call that returned nothing: one row without a job.
                        if let b = batch { out.append(.proposed(call: b.call, jobs: b.jobs)) }
                        batch = nil
                        out.append(.proposed(call: try Self.column(row, "call"), jobs: []))
                        continue
                    }
                    if kind == 1 {
                        let call: Int = try Self.column(row, "call")
                        let job = JournalRecord.ProposedJob(job: try Self.jobID(row), architecture: try Self.column(row, "arch"),
                                                            encoding: try Self.decodeEncoding(try Self.column(row, "encoding"),
                                                                                              seq: row["seq"]))
                        if batch?.call == call {
                            batch!.jobs.append(job)
                        } else {
                            if let b = batch { out.append(.proposed(call: b.call, jobs: b.jobs)) }
                            batch = (call, [job])
                        }
                        continue
                    }
                    if let b = batch {
                        out.append(.proposed(call: b.call, jobs: b.jobs))
                        batch = nil
                    }
                    out.append(try Self.record(row, kind: kind))
                }
                if let b = batch { out.append(.proposed(call: b.call, jobs: b.jobs)) }
                return out
            }
        }
    }

    /// A required column: a NULL or a value of another type (a damaged or hand-edited row) is a
    /// `JournalError.corrupt` naming the row and the column, never a crash.
    static func column<T: DatabaseValueConvertible>(_ row: Row, _ name: String) throws -> T {
        guard let value = row[name] as DatabaseValue?, !value.isNull, let typed = T.fromDatabaseValue(value) else {
            let seq = (row["seq"] as DatabaseValue?).flatMap { Int64.fromDatabaseValue($0) }.map(String.init) ?? "?"
            throw JournalError(.corrupt, "journal record \(seq): column '\(name)' is missing or not a \(T.self)")
        }
        return typed
    }

    static func jobID(_ row: Row) throws -> UInt64 {
        let id: Int64 = try column(row, "job")
        guard id > 0 else { throw JournalError(.corrupt, "journal record \(row["seq"] as Int64? ?? -1): job id \(id) is not positive") }
        return UInt64(id)
    }

    static func record(_ row: Row, kind: Int) throws -> JournalRecord {
        if kind == 6 {
            return .note(worker: try column(row, "worker"), message: try column(row, "reason"), time: try column(row, "time"))
        }
        let job = try jobID(row)
        let attempt: Int = try column(row, "attempt")
        switch kind {
        case 2: return .dispatched(job: job, attempt: attempt, worker: try column(row, "worker"), key: row["key"],
                                   time: try column(row, "time"))
        case 3: return .progress(job: job, attempt: attempt, epoch: try column(row, "epoch"), trainLoss: row["loss"],
                                 validationError: row["val_error"], seconds: try column(row, "seconds"))
        case 4: return .result(job: job, attempt: attempt, worker: try column(row, "worker"),
                               metrics: .init(validationError: try column(row, "val_error"), testError: row["test_error"],
                                              trainSeconds: try column(row, "seconds"), parameters: row["params"],
                                              flops: row["flops"]),
                               time: try column(row, "time"))
        case 5:
            let className: String? = row["class"]
            let failureClass = try className.map { name in
                guard let c = FailureClass(rawValue: name) else {
                    throw JournalError(.corrupt, "journal record \(row["seq"] as Int64? ?? -1): unknown failure class '\(name)'")
                }
                return c
            }
            return .failure(job: job, attempt: attempt, worker: try column(row, "worker"), reason: try column(row, "reason"),
                            class: failureClass, final: (try column(row, "final") as Int) != 0, time: try column(row, "time"))
        default: throw JournalError(.corrupt, "journal record \(row["seq"] as Int64) has unknown kind \(kind)")
        }
    }

    /// The column values of one record (a proposed batch is one row per job).
    static func rows(_ record: JournalRecord) -> [[DatabaseValueConvertible?]] {
        // kind, time, call, job, attempt, worker, arch, encoding, epoch, loss, val_error, test_error, seconds,
        // params, flops, reason, final, class, key (shorter rows are padded with NULLs)
        switch record {
        case .proposed(let call, let jobs) where jobs.isEmpty:
            return [[1, nil, call, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil]]
        case .proposed(let call, let jobs):
            return jobs.map { j in
                [1, nil, call, Int64(j.job), nil, nil, j.architecture, encodeEncoding(j.encoding),
                 nil, nil, nil, nil, nil, nil, nil, nil, nil]
            }
        case .dispatched(let job, let attempt, let worker, let key, let time):
            return [[2, time, nil, Int64(job), attempt, worker, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, key]]
        case .progress(let job, let attempt, let epoch, let loss, let valError, let seconds):
            return [[3, nil, nil, Int64(job), attempt, nil, nil, nil, epoch, loss, valError, nil, seconds, nil, nil, nil, nil]]
        case .result(let job, let attempt, let worker, let m, let time):
            return [[4, time, nil, Int64(job), attempt, worker, nil, nil, nil, nil, m.validationError, m.testError,
                     m.trainSeconds, m.parameters, m.flops, nil, nil]]
        case .failure(let job, let attempt, let worker, let reason, let failureClass, let final, let time):
            return [[5, time, nil, Int64(job), attempt, worker, nil, nil, nil, nil, nil, nil, nil, nil, nil, reason, final ? 1 : 0,
                     failureClass?.rawValue]]
        case .note(let worker, let message, let time):
            return [[6, time, nil, nil, nil, worker, nil, nil, nil, nil, nil, nil, nil, nil, nil, message, nil, nil]]
        }
    }

    static func encodeEncoding(_ encoding: [[Double]]) -> String {
        "[" + encoding.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
    }

    static func decodeEncoding(_ text: String, seq: Int64) throws -> [[Double]] {
        guard let data = text.data(using: .utf8),
              let value = try? JSONSerialization.jsonObject(with: data) as? [[Double]] else {
            throw JournalError(.corrupt, "journal record \(seq): encoding '\(text.prefix(80))' is not [[number]]")
        }
        return value
    }

    private func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "cannot \(what) ('\(path)'): \(error)")
        }
    }
}
