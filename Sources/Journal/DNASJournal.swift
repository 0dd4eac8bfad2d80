import Foundation
import GRDB

/// A one-shot search's journal in SQLite (GRDB), readable with plain `sqlite3`:
///
///     search(id TEXT PRIMARY KEY, settings TEXT, created REAL)
///     epoch(epoch INTEGER PRIMARY KEY, train_loss REAL, val_loss REAL, val_error REAL, distribution TEXT, seconds REAL)
///     checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER, state BLOB)
///     cell(rank INTEGER PRIMARY KEY, arch TEXT, counts TEXT, cifar10 REAL, cifar100 REAL)
///
/// `distribution` is JSON (p~, or each edge's softmax). An epoch's row and the checkpoint after it are
/// written in one transaction, so a search killed at any moment resumes from its last finished epoch.
/// The checkpoint's `state` is opaque here (the trainer's encoding).
public final class DNASJournal: @unchecked Sendable {
    public struct Epoch: Sendable, Hashable {
        public var epoch: Int
        public var trainLoss: Double
        public var validationLoss: Double
        public var validationError: Double
        public var distribution: [Double]
        public var seconds: Double

        public init(epoch: Int, trainLoss: Double, validationLoss: Double, validationError: Double, distribution: [Double], seconds: Double) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
            self.validationError = validationError
            self.distribution = distribution
            self.seconds = seconds
        }
    }

    public struct SampledCell: Sendable, Hashable {
        public var rank: Int
        public var architecture: String
        public var counts: [Int]
        public var cifar10: Double?
        public var cifar100: Double?

        public init(rank: Int, architecture: String, counts: [Int], cifar10: Double?, cifar100: Double?) {
            self.rank = rank
            self.architecture = architecture
            self.counts = counts
            self.cifar10 = cifar10
            self.cifar100 = cifar100
        }
    }

    public let path: String
    private let queue: DatabaseQueue

    /// Created mode 0600 when new; a symbolic link at `path` is refused (`JournalFile`).
    /// - Throws: `JournalError.storage` with the path and SQLite's message.
    public init(path: String) throws {
        self.path = path
        do {
            try JournalFile.prepare(path)
            queue = try DatabaseQueue(path: path)
            _ = try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("dnas-v1") { db in
                try db.execute(sql: """
                    CREATE TABLE search(id TEXT PRIMARY KEY NOT NULL, settings TEXT NOT NULL, created REAL NOT NULL);
                    CREATE TABLE epoch(epoch INTEGER PRIMARY KEY, train_loss REAL, val_loss REAL, val_error REAL,
                                       distribution TEXT NOT NULL, seconds REAL);
                    CREATE TABLE checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL, state BLOB NOT NULL);
                    CREATE TABLE cell(rank INTEGER PRIMARY KEY, arch TEXT NOT NULL, counts TEXT NOT NULL, cifar10 REAL, cifar100 REAL);
                    """)
            }
            try migrator.migrate(queue)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "cannot open the search journal '\(path)': \(error)")
        }
    }

    func write<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw JournalError(.storage, "\(path): cannot \(what): \(error)") }
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError(.storage, "\(path): cannot \(what): \(error)")
        }
    }

    /// A JSON array column: `T`s, or `JournalError.corrupt` naming the row and the column (a hand-edited or
    /// truncated row is said, never read as an empty list).
    func array<T>(_ text: String, of _: T.Type, column: String, row: String) throws -> [T] {
        guard let values = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [T] else {
            throw JournalError(.corrupt, "\(path): \(row)'s \(column) '\(text.prefix(80))' is not a JSON array of numbers")
        }
        return values
    }

    /// The search's id and settings (JSON), nil for a new journal.
    public func search() throws -> (id: String, settings: String)? {
        try read("read the search") { db in
            try Row.fetchOne(db, sql: "SELECT id, settings FROM search").map { ($0["id"], $0["settings"]) }
        }
    }

    public func begin(id: String, settings: String) throws {
        try write("begin the search") { db in
            try db.execute(sql: "INSERT INTO search(id, settings, created) VALUES (?, ?, ?)",
                           arguments: [id, settings, Date().timeIntervalSince1970])
        }
    }

    /// An epoch's figures and the state after it, together.
    public func append(_ e: Epoch, checkpoint: Data) throws {
        let distribution = "[" + e.distribution.map { String($0) }.joined(separator: ",") + "]"
        try write("journal epoch \(e.epoch)") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO epoch(epoch, train_loss, val_loss, val_error, distribution, seconds) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [e.epoch, e.trainLoss, e.validationLoss, e.validationError, distribution, e.seconds])
            try db.execute(sql: "INSERT OR REPLACE INTO checkpoint(id, epoch, state) VALUES (1, ?, ?)", arguments: [e.epoch, checkpoint])
        }
    }

    public func epochs() throws -> [Epoch] {
        try read("read the epochs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM epoch ORDER BY epoch").map { row in
                let epoch: Int = row["epoch"]
                let values = try array(row["distribution"], of: Double.self, column: "distribution", row: "epoch \(epoch)")
                return Epoch(epoch: row["epoch"], trainLoss: row["train_loss"], validationLoss: row["val_loss"],
                             validationError: row["val_error"], distribution: values, seconds: row["seconds"])
            }
        }
    }

    /// The state after the last finished epoch.
    public func checkpoint() throws -> (epoch: Int, state: Data)? {
        try read("read the checkpoint") { db in
            try Row.fetchOne(db, sql: "SELECT epoch, state FROM checkpoint WHERE id = 1").map { ($0["epoch"], $0["state"]) }
        }
    }

    public func record(_ cells: [SampledCell]) throws {
        try write("journal the sampled cells") { db in
            try db.execute(sql: "DELETE FROM cell")
            for c in cells {
                try db.execute(sql: "INSERT INTO cell(rank, arch, counts, cifar10, cifar100) VALUES (?, ?, ?, ?, ?)",
                               arguments: [c.rank, c.architecture, "[" + c.counts.map(String.init).joined(separator: ",") + "]",
                                           c.cifar10, c.cifar100])
            }
        }
    }

    public func cells() throws -> [SampledCell] {
        try read("read the sampled cells") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cell ORDER BY rank").map { row in
                let rank: Int = row["rank"]
                let counts = try array(row["counts"], of: Int.self, column: "counts", row: "sampled cell \(rank)")
                return SampledCell(rank: row["rank"], architecture: row["arch"], counts: counts, cifar10: row["cifar10"], cifar100: row["cifar100"])
            }
        }
    }
}
