import ANASOD
import Foundation
@testable import Journal
import Testing

/// One shared suite over every `Journal`.
@Suite struct JournalTests {
    enum Kind: String, CaseIterable, Sendable { case sqlite, memory }

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "anasod-journal-\(UUID().uuidString).sqlite"
    }

    func make(_ kind: Kind, path: String = JournalTests.temporaryPath()) throws -> any Journal {
        switch kind {
        case .sqlite: try SQLiteJournal(path: path)
        case .memory: InMemoryJournal()
        }
    }

    static let sample: [JournalRecord] = [
        .proposed(call: 0, jobs: [.init(job: 1, architecture: "|a|", encoding: [[0.5, 0.5]]),
                                  .init(job: 2, architecture: "|b|", encoding: [[1, 0], [0.25, 0.75]])]),
        .proposed(call: 1, jobs: [.init(job: 3, architecture: "|c|", encoding: [[0, 1]])], observed: 0),
        .dispatched(job: 1, attempt: 1, worker: "w1", time: 10.5),
        .progress(job: 1, attempt: 1, progress: EpochProgress(epoch: 1, trainLoss: 0.5, seconds: 2)),
        .failure(job: 1, attempt: 1, worker: "w1", reason: "worker lost", class: .transient, final: false, time: 11),
        .dispatched(job: 1, attempt: 2, worker: "w2", key: "node-2", time: 12),
        .result(job: 1, attempt: 2, worker: "w2", metrics: .init(validationError: 5.63, testError: 5.7, trainSeconds: 3,
                                                                  parameters: 100, flops: nil), time: 13),
        .recommended(architecture: "|a|", estimate: 5.9125, observations: 1, afterObservations: 1, afterCalls: 2, time: 13.5),
        .failure(job: 2, attempt: 3, worker: "w2", reason: "NaN loss", class: .architecture, final: true, time: 14),
        .proposed(call: 2, jobs: [], observed: 2),  // a call that proposed nothing is journaled too
        .proposed(call: 3, jobs: [.init(job: 4, architecture: "|d|", encoding: [[0.1, 0.9]])]),
    ]

    @Test(arguments: Kind.allCases)
    func recordsRoundTripInOrder(kind: Kind) throws {
        let journal = try make(kind)
        #expect(try journal.study() == nil)
        try journal.begin(StudyRecord(id: "s1", configuration: "budget: 10\n", created: 1))
        #expect(try journal.study()?.id == "s1")
        try journal.append(Array(Self.sample.prefix(3)))
        try journal.append(Array(Self.sample.dropFirst(3)))
        #expect(try journal.records() == Self.sample)
        #expect(throws: JournalError.self) { try journal.begin(StudyRecord(id: "s2", configuration: "", created: 2)) }
    }

    @Test func sqliteSurvivesReopening() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let journal = try SQLiteJournal(path: path)
            try journal.begin(StudyRecord(id: "s1", configuration: "x", created: 1))
            try journal.append(Self.sample)
        }
        let reopened = try SQLiteJournal(path: path)
        #expect(try reopened.study()?.configuration == "x")
        #expect(try reopened.records() == Self.sample)
    }

    @Test func unreadablePathIsAClearError() {
        #expect(throws: JournalError.self) { try SQLiteJournal(path: "/no/such/dir/journal.sqlite") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 command"))
    func readableWithPlainSqlite3() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try SQLiteJournal(path: path)
        try journal.begin(StudyRecord(id: "s1", configuration: "x", created: 1))
        try journal.append(Self.sample)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, "SELECT job, arch, val_error FROM results;"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1||a||5.63")
    }
}
