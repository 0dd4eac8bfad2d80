import Cluster
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SystemPackage
import Testing

/// `LocalWorkerPool` with shell scripts for workers: exits are awaited, a pool whose workers all die before
/// the study ended says so, and a graceful shutdown waits for the workers, then terminates them (SIGTERM,
/// SIGKILL for one that ignores it).
@Suite struct LocalWorkerPoolTests {
    static let logger = Logger(label: "pool-test")

    static func pool(
        _ scripts: [String], exitGrace: Duration = .seconds(5), killGrace: Duration = .seconds(8),
        errorOutput: @escaping LocalWorkerPool.ErrorOutput = { _ in nil },
        studyEnded: @escaping @Sendable () async -> Bool
    ) -> LocalWorkerPool {
        LocalWorkerPool(
            executable: "/bin/sh", workers: scripts.map { ["-c", $0] }, exitGrace: exitGrace, killGrace: killGrace,
            logger: logger, errorOutput: errorOutput, studyEnded: studyEnded)
    }

    /// Runs `pool` in a group of its own; `shutdown` (if given) is awaited, then the group is told to shut down.
    static func run(_ pool: LocalWorkerPool, shutdownAfter shutdown: (@Sendable () async throws -> Void)? = nil)
        async throws
    {
        let group = ServiceGroup(configuration: .init(services: [pool], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let shutdown {
                try await shutdown()
                await group.triggerGracefulShutdown()
            }
            try await tasks.waitForAll()
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func workersThatAllDieBeforeTheStudyEndedAreAnError() async throws {
        let pool = Self.pool(["exit 1", "exit 2"], studyEnded: { false })
        await #expect(
            throws: ClusterError(
                .run, "all 2 worker process(es) exited before the study finished (their errors are above)")
        ) {
            try await Self.run(pool)
        }
    }

    @Test func workersTheCoordinatorShutDownWaitForTheGroupsShutdown() async throws {
        let (asked, ask) = AsyncStream<Void>.makeStream()
        let pool = Self.pool(
            ["exit 0", "exit 0"],
            studyEnded: {
                ask.yield(); return true
            })
        // The pool asked whether the study ended, heard yes, and returns only on its shutdown (not before: a
        // service that returns would end the group).
        try await Self.run(pool) { _ = await asked.first { _ in true } }
    }

    @Test func aShutdownWaitsForWorkersToExitOnTheirOwn() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Each worker's last job ends 0.3 s after the shutdown began, well within the grace: nothing is terminated.
        let script =
            "trap 'echo terminated > \(dir)/$0; exit 1' TERM; echo started >&2; sleep 0.3; echo done > \(dir)/$0"
        let lines = ErrorLines()
        let pool = LocalWorkerPool(
            executable: "/bin/sh", workers: [["-c", script, "a"], ["-c", script, "b"]], logger: Self.logger,
            errorOutput: { _ in try lines.descriptor() }, studyEnded: { true })
        try await Self.run(pool) { try await lines.wait(for: "started", count: 2) }
        #expect(try String(contentsOfFile: "\(dir)/a", encoding: .utf8) == "done\n")
        #expect(try String(contentsOfFile: "\(dir)/b", encoding: .utf8) == "done\n")
    }

    @Test func aShutdownTerminatesWorkersThatOutstayTheGraceAndKillsThoseThatIgnoreSIGTERM() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Workers that never end on their own (a job of a minute): one leaves on SIGTERM, one ignores it.
        let polite = "trap 'kill $!; echo terminated > \(dir)/polite; exit 0' TERM; echo started >&2; sleep 60 & wait"
        let stubborn = "trap '' TERM; echo $$ > \(dir)/stubborn.pid; echo started >&2; exec sleep 60"
        let lines = ErrorLines()
        let pool = Self.pool(
            [polite, stubborn], exitGrace: .milliseconds(200), killGrace: .milliseconds(500),
            errorOutput: { _ in try lines.descriptor() }, studyEnded: { true })
        let started = Date()
        try await Self.run(pool) { try await lines.wait(for: "started", count: 2) }
        let seconds = Date().timeIntervalSince(started)
        #expect(try String(contentsOfFile: "\(dir)/polite", encoding: .utf8) == "terminated\n")
        let stubbornPID = try #require(
            Int32(
                String(contentsOfFile: "\(dir)/stubborn.pid", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(stubbornPID, 0) != 0, "the worker that ignored SIGTERM is still there")
        #expect(seconds < 10, "teardown took \(seconds) s")
    }

    @Test func aWorkersStandardErrorGoesWhereItIsToldAndEndsWithIt() async throws {
        let (reading, writing) = try FileDescriptor.pipe()
        defer { try? reading.close() }
        let pool = Self.pool(["echo 'no table here' >&2; exit 3"], errorOutput: { _ in writing }, studyEnded: { false })
        await #expect(throws: ClusterError.self) { try await Self.run(pool) }
        // End-of-file: the pool closed its copy of the writing end once the worker started.
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reading.read(into: $0) }
            if n == 0 { break }
            bytes += buffer[..<n]
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "no table here\n")
    }

    @Test func aWorkerThatCannotStartIsAnErrorNamingIt() async throws {
        let pool = LocalWorkerPool(
            executable: "/nonexistent/anasod", workers: [["worker"]], logger: Self.logger, studyEnded: { true })
        await #expect {
            try await Self.run(pool)
        } throws: { error in
            (error as? ClusterError)?.message.hasPrefix("cannot start worker process 0:") == true
        }
    }
}

/// The lines workers write on standard error, through pipes whose reading ends feed one stream.
final class ErrorLines: Sendable {
    private let lines: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() {
        (lines, continuation) = AsyncStream<String>.makeStream()
    }

    /// A writing end for one worker (the pool closes it once the worker started).
    func descriptor() throws -> FileDescriptor {
        let pipe = Pipe()
        let reading = pipe.fileHandleForReading
        let continuation = self.continuation
        let buffer = Mutex(Data())
        reading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { reading.readabilityHandler = nil }
            let complete = buffer.withLock { buffer -> [String] in
                buffer.append(data)
                var out = [String]()
                while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    out.append(String(decoding: buffer[buffer.startIndex..<end], as: UTF8.self))
                    buffer = Data(buffer[buffer.index(after: end)...])
                }
                return out
            }
            for line in complete { continuation.yield(line) }
        }
        let writing = FileDescriptor(rawValue: dup(pipe.fileHandleForWriting.fileDescriptor))
        try pipe.fileHandleForWriting.close()
        return writing
    }

    /// Returns once `line` came `count` times (from any worker).
    func wait(for line: String, count: Int) async throws {
        var seen = 0
        for await l in lines where l == line {
            seen += 1
            if seen == count { return }
        }
        throw ClusterError(.run, "the workers' standard error ended before '\(line)' came \(count) times")
    }
}
