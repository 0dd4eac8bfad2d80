import Foundation
import TestSupport
import Testing

/// The binary scripts/package.sh makes (dist/anasod: the Swift runtime linked in), copied alone into an
/// empty folder and run as a worker for a coordinator of this build, with a bare environment: nothing of
/// the build tree around it.
@Suite(.serialized) struct StaticBinaryTests {
    static let packaged: URL? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = ProcessInfo.processInfo.environment["ANASOD_PACKAGED_BINARY"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("dist/anasod")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    @Test(.enabled(if: packaged != nil, "no packaged binary: run `bash scripts/package.sh` first (scripts/test.sh does on a full run)"))
    func thePackagedBinaryWorksAsAWorkerOnItsOwn() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let alone = group.directory.appendingPathComponent("alone")
            try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
            let binary = alone.appendingPathComponent("anasod")
            try FileManager.default.copyItem(at: Self.packaged!, to: binary)
            let libraries = try CommandRunner.shell("ldd '\(binary.path)'")
            #expect(!libraries.contains("libswiftCore") && !libraries.contains("libFoundation"), "\(libraries)")

            let config = group.directory.appendingPathComponent("study.yaml").path
            try """
            study: static
            space: nb201
            strategy: anasod-bo
            budget: 12
            evaluator:
              kind: synthetic
              seconds: 0.05
            cluster:
              listen: tcp://127.0.0.1:0
              security: none
              heartbeat: 0.25
              worker_timeout: 5
            journal: \(group.directory.path)/static.sqlite
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let (coordinator, output) = try group.start(["coordinator", "--config", config], name: "coordinator")
            let line = try #require(group.waitForLine(output, prefix: "coordinator listening on ", timeout: 60))
            let endpoint = String(line.dropFirst("coordinator listening on ".count))
            let worker = Process()
            worker.executableURL = binary
            worker.currentDirectoryURL = alone
            worker.environment = ["PATH": "/usr/bin:/bin", "HOME": alone.path]
            worker.arguments = ["worker", "--connect", endpoint, "--slots", "2", "--id", "packaged"]
            worker.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            worker.standardError = errors
            try worker.run()
            defer { if worker.isRunning { worker.terminate() } }
            #expect(group.wait(coordinator, timeout: 120), "the study did not finish with the packaged worker")
            #expect(coordinator.terminationStatus == 0, "\(group.log("coordinator").suffix(1000))")
            let done = try CommandRunner.shell("sqlite3 '\(group.directory.path)/static.sqlite' \"SELECT COUNT(*) FROM record WHERE kind = 4\"")
            #expect(done.trimmingCharacters(in: .whitespacesAndNewlines) == "12")
            let workers = try CommandRunner.run(["export", "--journal", "\(group.directory.path)/static.sqlite", "--format", "csv"]).stdout
            #expect(workers.contains(",packaged,"), "the results came from another worker:\n\(workers)")
        }
    }
}
