import Foundation
import GRDB
import Journal
import Testing

/// A one-shot search's journal reads back what it wrote, and a damaged row is an error naming it, never an
/// empty list.
@Suite struct DNASJournalTests {
    func journal() throws -> (DNASJournal, String) {
        let path = NSTemporaryDirectory() + "anasod-dnas-\(UUID().uuidString.prefix(8)).sqlite"
        let journal = try DNASJournal(path: path)
        try journal.begin(id: "d", settings: "{}")
        try journal.append(.init(epoch: 1, trainLoss: 1, validationLoss: 1, validationError: 50, distribution: [0.25, 0.75], seconds: 2),
                           checkpoint: Data([1, 2, 3]))
        try journal.record([.init(rank: 1, architecture: "|a|", counts: [2, 4], cifar10: 9, cifar100: nil)])
        return (journal, path)
    }

    func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func epochsAndCellsReadBack() throws {
        let (journal, path) = try journal()
        defer { remove(path) }
        #expect(try journal.epochs().map(\.distribution) == [[0.25, 0.75]])
        #expect(try journal.cells().map(\.counts) == [[2, 4]])
    }

    @Test func aCorruptRowIsAnErrorNamingIt() throws {
        let (journal, path) = try journal()
        defer { remove(path) }
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE epoch SET distribution = '[0.25, oops'")
            try db.execute(sql: "UPDATE cell SET counts = '{\"a\": 1}'")
        }
        let epochs = #expect(throws: JournalError.self) { try journal.epochs() }
        #expect(epochs?.code == .corrupt)
        #expect(epochs?.message.contains("epoch 1's distribution '[0.25, oops'") == true, "\(epochs?.message ?? "")")
        let cells = #expect(throws: JournalError.self) { try journal.cells() }
        #expect(cells?.code == .corrupt)
        #expect(cells?.message.contains("sampled cell 1's counts") == true, "\(cells?.message ?? "")")
    }
}
