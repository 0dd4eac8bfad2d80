import ANASOD
import Foundation
import GRDB

/// The journal in an SQLite database (GRDB), readable with plain `sqlite3`. Schema (format 1):
///
///     study(id TEXT PRIMARY KEY, configuration TEXT, created REAL, format INTEGER)
///     record(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER, time REAL, call INTEGER,
///            job INTEGER, attempt INTEGER, worker TEXT, arch TEXT, encoding TEXT,
///            epoch INTEGER, loss REAL, val_error REAL, test_error REAL, seconds REAL,
///            params INTEGER, flops INTEGER, reason TEXT, final INTEGER, class TEXT, key TEXT, observed INTEGER,
///            estimate REAL, runs INTEGER, latency_ms REAL, memory_mb REAL)
///     VIEW results(job, attempt, worker, arch, val_error, test_error, seconds, params, flops, time,
///                  stopped_at_epoch, latency_ms, memory_mb)   (stopped_at_epoch since migration v6, the
///                  measures since v7)
///     VIEW recommendations(seq, time, after_observations, after_calls, arch, estimate, runs)
///
/// `kind`: 1 proposed (one row per job, `call` groups a propose call; a call that returned nothing is one
/// row with a NULL job), 2 dispatched, 3 progress,
/// 4 result (`epoch` set: early stopping stopped it after that many epochs, issue 28), 5 failure (`class`: its failure class, since migration v2), 6 a note about a worker (`worker`,
/// `reason`), 7 the strategy's recommendation (since v5: `arch`, its `estimate` in %, the cell's `runs`, and
/// `observed` and `call`: the outcomes observed and propose calls made before it). `observed` (proposed rows,
/// since migration v4): the outcomes the strategy had observed when it made the call. `key` (dispatched rows,
/// since v3): the worker's key name. `latency_ms`, `memory_mb` (result rows, since v7): what the trainer
/// measured beside the error, which constraints known only after evaluation are checked against (issue 30). `encoding` is JSON (`[[p, …], …]`, one array per cell type). The database runs in
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
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE record ADD COLUMN observed INTEGER")  // a propose call's place in history
        }
        migrator.registerMigration("v5") { db in
            // The strategy's recommendation (kind 7): its estimate and the results of the cell it had seen.
            try db.execute(sql: """
                ALTER TABLE record ADD COLUMN estimate REAL;
                ALTER TABLE record ADD COLUMN runs INTEGER;
                CREATE VIEW recommendations AS
                    SELECT seq, time, observed AS after_observations, call AS after_calls, arch, estimate, runs
                    FROM record WHERE kind = 7;
                """)
        }
        migrator.registerMigration("v6") { db in
            // Early stopping (issue 28): a result row's `epoch` says the coordinator stopped it after that epoch.
            try db.execute(sql: """
                DROP VIEW results;
                CREATE VIEW results AS
                    SELECT r.job, r.attempt, r.worker, p.arch, r.val_error, r.test_error, r.seconds, r.params, r.flops, r.time,
                           r.epoch AS stopped_at_epoch
                    FROM record r JOIN record p ON p.kind = 1 AND p.job = r.job
                    WHERE r.kind = 4;
                """)
        }
        migrator.registerMigration("v7") { db in
            // Measures known only after evaluation (issue 30): a result row's latency and peak memory.
            try db.execute(sql: """
                ALTER TABLE record ADD COLUMN latency_ms REAL;
                ALTER TABLE record ADD COLUMN memory_mb REAL;
                DROP VIEW results;
                CREATE VIEW results AS
                    SELECT r.job, r.attempt, r.worker, p.arch, r.val_error, r.test_error, r.seconds, r.params, r.flops, r.time,
                           r.epoch AS stopped_at_epoch, r.latency_ms, r.memory_mb
                    FROM record r JOIN record p ON p.kind = 1 AND p.job = r.job
                    WHERE r.kind = 4;
                """)
        }
        return migrator
    }

    /// Closes the database (its `-wal` and `-shm` files are folded back and removed). Nothing may be read or
    /// appended afterwards.
    /// - Throws: `JournalError.storage` when SQLite cannot close it (it is then closed when the process ends).
    public func close() throws {
        try wrap("close the journal") { try queue.close() }
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
                    for row in try RecordRow.rows(record) { try row.insert(db) }
                }
            }
        }
    }

    public func records() throws -> [JournalRecord] {
        try wrap("read the journal") {
            try queue.read { db in
                var out = [JournalRecord]()
                // A propose call is one row per job (one row without a job for a call that proposed nothing):
                // consecutive rows of one call are gathered into one record.
                var batch: (call: Int, jobs: [JournalRecord.ProposedJob], observed: Int?)?
                func flush() {
                    if let b = batch { out.append(.proposed(call: b.call, jobs: b.jobs, observed: b.observed)) }
                    batch = nil
                }
                let rows = try RecordRow.order(Column("seq")).fetchCursor(db)
                while let row = try rows.next() {
                    guard row.kind == 1 else {
                        flush()
                        out.append(try row.record())
                        continue
                    }
                    let call = try row.required(row.call, "call")
                    guard row.job != nil else {
                        flush()
                        out.append(.proposed(call: call, jobs: [], observed: row.observed))
                        continue
                    }
                    let job = try row.proposedJob()
                    if batch?.call == call {
                        batch!.jobs.append(job)
                    } else {
                        flush()
                        batch = (call, [job], row.observed)
                    }
                }
                flush()
                return out
            }
        }
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

/// One row of the `record` table (GRDB record): every kind shares the table, each using its own columns. A
/// column a kind needs that is NULL (a damaged or hand-edited row) is a `JournalError.corrupt` naming the row
/// and the column, never a crash.
struct RecordRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "record"

    var seq: Int64?
    var kind: Int
    var time: Double?
    var call: Int?
    var job: Int64?
    var attempt: Int?
    var worker: String?
    var arch: String?
    var encoding: String?
    var epoch: Int?
    var loss: Double?
    var valError: Double?
    var testError: Double?
    var seconds: Double?
    var params: Int?
    var flops: Int?
    var reason: String?
    var final: Int?
    var `class`: String?
    var key: String?
    var observed: Int?
    var estimate: Double?
    var runs: Int?
    var latencyMs: Double?
    var memoryMB: Double?

    enum CodingKeys: String, CodingKey {
        case seq, kind, time, call, job, attempt, worker, arch, encoding, epoch, loss, seconds, params, flops, reason, final
        case `class`, key, observed, estimate, runs
        case valError = "val_error", testError = "test_error", latencyMs = "latency_ms", memoryMB = "memory_mb"
    }

    /// Reads a row strictly: a value of another type than its column's (a damaged or hand-edited row: text in
    /// `val_error`) is a `JournalError.corrupt` naming the row and the column, never a silent 0.
    init(row: Row) throws {
        let seq = (row["seq"] as DatabaseValue?).flatMap { Int64.fromDatabaseValue($0) }
        func value<T: DatabaseValueConvertible>(_ column: String) throws -> T? {
            guard let stored = row[column] as DatabaseValue?, !stored.isNull else { return nil }
            guard let typed = T.fromDatabaseValue(stored) else {
                throw JournalError(.corrupt, "journal record \(seq.map(String.init) ?? "?"): column '\(column)' holds \(stored), not a \(T.self)")
            }
            return typed
        }
        self.seq = seq
        guard let kind: Int = try value("kind") else {
            throw JournalError(.corrupt, "journal record \(seq.map(String.init) ?? "?"): column 'kind' is missing")
        }
        self.kind = kind
        (time, call, job, attempt, worker) = (try value("time"), try value("call"), try value("job"), try value("attempt"), try value("worker"))
        (arch, encoding, epoch, loss, valError) = (try value("arch"), try value("encoding"), try value("epoch"), try value("loss"),
                                                   try value("val_error"))
        (testError, seconds, params, flops, reason) = (try value("test_error"), try value("seconds"), try value("params"),
                                                       try value("flops"), try value("reason"))
        (final, self.class, key, observed) = (try value("final"), try value("class"), try value("key"), try value("observed"))
        (estimate, runs, latencyMs, memoryMB) = (try value("estimate"), try value("runs"), try value("latency_ms"),
                                                 try value("memory_mb"))
    }

    init(kind: Int, time: Double? = nil, job: UInt64? = nil, attempt: Int? = nil, worker: String? = nil) {
        self.kind = kind
        self.time = time
        self.job = job.map { Int64(bitPattern: $0) }
        self.attempt = attempt
        self.worker = worker
    }

    /// The rows of one record (a propose call is one row per job, or one without a job when it proposed none).
    static func rows(_ record: JournalRecord) throws -> [RecordRow] {
        switch record {
        case .proposed(let call, let jobs, let observed):
            let rows = jobs.isEmpty ? [RecordRow(kind: 1)] : try jobs.map { j in
                var row = RecordRow(kind: 1, job: j.job)
                row.arch = j.architecture
                row.encoding = try encodeEncoding(j.encoding)
                return row
            }
            return rows.map { row in
                var row = row
                row.call = call
                row.observed = observed
                return row
            }
        case .dispatched(let job, let attempt, let worker, let key, let time):
            var row = RecordRow(kind: 2, time: time, job: job, attempt: attempt, worker: worker)
            row.key = key
            return [row]
        case .progress(let job, let attempt, let p):
            var row = RecordRow(kind: 3, job: job, attempt: attempt)
            (row.epoch, row.loss, row.valError, row.seconds) = (p.epoch, p.trainLoss, p.validationError, p.seconds)
            return [row]
        case .result(let job, let attempt, let worker, let m, let time):
            var row = RecordRow(kind: 4, time: time, job: job, attempt: attempt, worker: worker)
            (row.valError, row.testError, row.seconds, row.params, row.flops) = (m.validationError, m.testError, m.trainSeconds,
                                                                                 m.parameters, m.flops)
            (row.epoch, row.latencyMs, row.memoryMB) = (m.stoppedAtEpoch, m.latencyMs, m.memoryMB)
            return [row]
        case .failure(let job, let attempt, let worker, let reason, let failureClass, let final, let time):
            var row = RecordRow(kind: 5, time: time, job: job, attempt: attempt, worker: worker)
            (row.reason, row.final, row.class) = (reason, final ? 1 : 0, failureClass?.rawValue)
            return [row]
        case .note(let worker, let message, let time):
            var row = RecordRow(kind: 6, time: time, worker: worker)
            row.reason = message
            return [row]
        case .recommended(let architecture, let estimate, let observations, let afterObservations, let afterCalls, let time):
            var row = RecordRow(kind: 7, time: time)
            (row.arch, row.estimate, row.runs, row.observed, row.call) = (architecture, estimate, observations, afterObservations,
                                                                         afterCalls)
            return [row]
        }
    }

    func required<T>(_ value: T?, _ column: String) throws -> T {
        guard let value else {
            throw JournalError(.corrupt, "journal record \(seq.map(String.init) ?? "?"): column '\(column)' is missing or not a \(T.self)")
        }
        return value
    }

    func jobID() throws -> UInt64 {
        let id = try required(job, "job")
        guard id > 0 else { throw JournalError(.corrupt, "journal record \(seq ?? -1): job id \(id) is not positive") }
        return UInt64(id)
    }

    func proposedJob() throws -> JournalRecord.ProposedJob {
        .init(job: try jobID(), architecture: try required(arch, "arch"),
              encoding: try Self.decodeEncoding(try required(encoding, "encoding"), seq: seq ?? -1))
    }

    /// The record of a row of any kind but `proposed`.
    func record() throws -> JournalRecord {
        if kind == 6 {
            return .note(worker: try required(worker, "worker"), message: try required(reason, "reason"), time: try required(time, "time"))
        }
        if kind == 7 {
            return .recommended(architecture: try required(arch, "arch"), estimate: try required(estimate, "estimate"),
                                observations: try required(runs, "runs"), afterObservations: try required(observed, "observed"),
                                afterCalls: try required(call, "call"), time: try required(time, "time"))
        }
        guard (2...5).contains(kind) else { throw JournalError(.corrupt, "journal record \(seq ?? -1) has unknown kind \(kind)") }
        let job = try jobID()
        let attempt = try required(attempt, "attempt")
        switch kind {
        case 2:
            return .dispatched(job: job, attempt: attempt, worker: try required(worker, "worker"), key: key, time: try required(time, "time"))
        case 3:
            return .progress(job: job, attempt: attempt, progress: EpochProgress(epoch: try required(epoch, "epoch"), trainLoss: loss,
                                                                                 validationError: valError, seconds: try required(seconds, "seconds")))
        case 4:
            return .result(job: job, attempt: attempt, worker: try required(worker, "worker"),
                           metrics: .init(validationError: try required(valError, "val_error"), testError: testError,
                                          trainSeconds: try required(seconds, "seconds"), parameters: params, flops: flops,
                                          stoppedAtEpoch: epoch, latencyMs: latencyMs, memoryMB: memoryMB),
                           time: try required(time, "time"))
        default:
            let failureClass = try self.class.map { name in
                guard let c = FailureClass(rawValue: name) else {
                    throw JournalError(.corrupt, "journal record \(seq ?? -1): unknown failure class '\(name)'")
                }
                return c
            }
            return .failure(job: job, attempt: attempt, worker: try required(worker, "worker"), reason: try required(reason, "reason"),
                            class: failureClass, final: try required(final, "final") != 0, time: try required(time, "time"))
        }
    }

    /// JSON (`[[0.2,0.8]]`, as older journals wrote it by hand).
    /// - Throws: `JournalError.corrupt` for a value JSON cannot hold (not finite): never written half.
    static func encodeEncoding(_ encoding: [[Double]]) throws -> String {
        do {
            return String(decoding: try JSONEncoder().encode(encoding), as: UTF8.self)
        } catch {
            throw JournalError(.corrupt, "cannot journal the encoding \(encoding): \(error)")
        }
    }

    static func decodeEncoding(_ text: String, seq: Int64) throws -> [[Double]] {
        guard let value = try? JSONDecoder().decode([[Double]].self, from: Data(text.utf8)) else {
            throw JournalError(.corrupt, "journal record \(seq): encoding '\(text.prefix(80))' is not [[number]]")
        }
        return value
    }
}
