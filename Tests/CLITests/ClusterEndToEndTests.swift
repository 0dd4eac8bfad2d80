import Foundation
import TestSupport
import Testing

/// Real processes on loopback with ephemeral ports, always cleaned up.
final class ProcessGroup: @unchecked Sendable {
    private(set) var processes = [Process]()
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("anasod-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts `anasod ARGS`; stdout goes to a file whose path is returned with the process.
    @discardableResult
    func start(_ arguments: [String], name: String, environment: [String: String] = [:]) throws -> (process: Process, output: URL) {
        let p = Process()
        p.executableURL = CommandRunner.executable
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let output = directory.appendingPathComponent("\(name).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        p.standardOutput = handle
        let errors = directory.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: errors)
        try p.run()
        processes.append(p)
        return (p, output)
    }

    /// A fake `nvidia-smi` that lists `count` GPUs, in a folder of its own: the folder, for `PATH`.
    func fakeNvidiaSMI(gpus count: Int) throws -> String {
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let lines = (0..<count).map { "echo 'GPU \($0): Fake GPU (UUID: GPU-fake-\($0))'" }.joined(separator: "\n")
        let path = bin.appendingPathComponent("nvidia-smi").path
        try "#!/bin/sh\n\(lines)\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return bin.path
    }

    /// Waits for a line starting with `prefix` in a process's output.
    func waitForLine(_ url: URL, prefix: String, timeout: Double = 60) -> String? {
        var found: String?
        eventually(timeout: timeout, every: 0.05) {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""  // not written yet: nothing to find
            found = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }).map(String.init)
            return found != nil
        }
        return found
    }

    func wait(_ p: Process, timeout: Double) -> Bool {
        eventually(timeout: timeout, every: 0.05) { !p.isRunning }
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).err"), encoding: .utf8)) ?? ""
    }

    deinit {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.serialized) struct ClusterEndToEndTests {
    func config(_ group: ProcessGroup, budget: Int, evaluator: String, seconds: Double, dataset: String = "cifar10") throws -> String {
        let yaml = """
            study: e2e
            space: nb201
            strategy: anasod-bo
            budget: \(budget)
            evaluator:
              kind: \(evaluator)\(evaluator == "table" ? "\n  dataset: \(dataset)" : "")
              seconds: \(seconds)
            jobs:
              max_attempts: 5
              timeout: 60
            cluster:
              listen: tcp://127.0.0.1:0
              heartbeat: 0.25
              worker_timeout: 2.0
              keys: \(group.directory.path)/keys
            journal: \(group.directory.path)/journal.sqlite
            """
        // CURVE on, as a user would set it up: the coordinator's pair, one pair per worker, the workers'
        // public certificates in keys/workers/.
        let keys = group.directory.path + "/keys"
        if !FileManager.default.fileExists(atPath: keys + "/coordinator.key_secret") {
            _ = try CommandRunner.run(["keys", "generate", keys + "/coordinator"])
            try FileManager.default.createDirectory(atPath: keys + "/workers", withIntermediateDirectories: true)
            for i in 0..<4 {
                _ = try CommandRunner.run(["keys", "generate", keys + "/e2e-\(i)"])
                try FileManager.default.moveItem(atPath: keys + "/e2e-\(i).key", toPath: keys + "/workers/e2e-\(i).key")
            }
        }
        let path = group.directory.appendingPathComponent("study.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// (job, value) of every result row, via the export command.
    func results(_ group: ProcessGroup) throws -> [(job: String, arch: String)] {
        let out = try CommandRunner.run(["export", "--journal", group.directory.path + "/journal.sqlite"])
        var rows = [(job: String, arch: String)]()
        for line in out.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 9 && fields[1] == "done" { rows.append((String(fields[0]), String(fields[9]))) }
        }
        return rows
    }

    func resultRows(_ group: ProcessGroup) throws -> Int {
        try count(group, "SELECT count(*) FROM record WHERE kind = 4")
    }

    /// A count from the journal through plain sqlite3.
    func count(_ group: ProcessGroup, _ sql: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [group.directory.path + "/journal.sqlite", sql]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func startWorkers(_ group: ProcessGroup, endpoint: String, count: Int) throws -> [Process] {
        try (0..<count).map { i in
            try group.start(["worker", "--connect", endpoint, "--slots", "1", "--id", "e2e-\(i)",
                             "--key", group.directory.path + "/keys/e2e-\(i).key_secret",
                             "--coordinator-key", group.directory.path + "/keys/coordinator.key",
                             "--nb201-dir", CommandRunner.nb201Directory, "--log-level", "info"], name: "worker\(i)").process
        }
    }

    @Test(.enabled(if: CommandRunner.tableAvailable, Comment(rawValue: "needs the NB201 table; set ANASOD_NB201_DIR")))
    func aCoordinatorAndThreeWorkersFinishASixtyEvaluationSearch() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let path = try config(group, budget: 60, evaluator: "table", seconds: 0)
            let (coordinator, output) = try group.start(["coordinator", "--config", path], name: "coordinator")
            let endpoint = try #require(group.waitForLine(output, prefix: "coordinator listening on ")).split(separator: " ").last!
            _ = try startWorkers(group, endpoint: String(endpoint), count: 3)
            #expect(group.wait(coordinator, timeout: 120), "coordinator did not finish: \(group.log("coordinator"))")
            #expect(coordinator.terminationStatus == 0)
            let rows = try results(group)
            #expect(rows.count == 60)
            #expect(Set(rows.map(\.arch)).count == 60)
            #expect(try resultRows(group) == 60)
        }
    }

    @Test func killingAWorkerMidJobReRunsItsJobElsewhere() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let path = try config(group, budget: 24, evaluator: "synthetic", seconds: 0.4)
            let (coordinator, output) = try group.start(["coordinator", "--config", path], name: "coordinator")
            let endpoint = String(try #require(group.waitForLine(output, prefix: "coordinator listening on ")).split(separator: " ").last!)
            let workers = try startWorkers(group, endpoint: endpoint, count: 3)
            // Kill e2e-0 while it holds a job: a dispatch to it without a result yet (each evaluation takes 0.4 s).
            let running = """
                SELECT count(*) FROM record d WHERE d.kind = 2 AND d.worker = 'e2e-0'
                AND NOT EXISTS (SELECT 1 FROM record r WHERE r.kind = 4 AND r.job = d.job)
                """
            // Timing under test: the kill comes about 1.5 s into the study, with results in and the worker busy.
            Thread.sleep(forTimeInterval: 1.5)
            try eventually(timeout: 30) { try count(group, running) > 0 }
            kill(workers[0].processIdentifier, SIGKILL)
            #expect(group.wait(coordinator, timeout: 120), "coordinator did not finish: \(group.log("coordinator"))")
            let rows = try results(group)
            #expect(rows.count == 24)
            #expect(Set(rows.map(\.arch)).count == 24)
            #expect(try resultRows(group) == 24)
            let log = group.log("coordinator")
            #expect(log.contains("on e2e-0 failed (transient): worker e2e-0 went silent; re-queued")
                    || log.contains("on e2e-0 failed (transient): worker e2e-0 unreachable; re-queued"),
                    "the lost worker's lease was not released: \(log)")
        }
    }

    @Test func killingTheCoordinatorThenResumingKeepsEveryResult() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let path = try config(group, budget: 30, evaluator: "synthetic", seconds: 0.2)
            let (first, output) = try group.start(["coordinator", "--config", path], name: "coordinator1")
            let endpoint = String(try #require(group.waitForLine(output, prefix: "coordinator listening on ")).split(separator: " ").last!)
            _ = try startWorkers(group, endpoint: endpoint, count: 3)
            // Let it collect some results, then kill it hard.
            try eventually(timeout: 60, every: 0.1) { try resultRows(group) >= 8 }
            kill(first.processIdentifier, SIGKILL)
            _ = group.wait(first, timeout: 5)
            let before = try results(group)
            #expect(before.count >= 8)
            #expect(before.count < 30)
            // Resume on the same endpoint: the workers reconnect by themselves.
            let (second, _) = try group.start(["coordinator", "--config", path, "--resume", "--listen", endpoint], name: "coordinator2")
            #expect(group.wait(second, timeout: 120), "resumed coordinator did not finish: \(group.log("coordinator2"))")
            #expect(second.terminationStatus == 0)
            let after = try results(group)
            #expect(after.count == 30)
            #expect(Set(after.map(\.arch)).count == 30)
            #expect(try resultRows(group) == 30)  // none duplicated
            for row in before { #expect(after.contains { $0.job == row.job && $0.arch == row.arch }) }
        }
    }

    @Test func sigintStopsTheCoordinatorGracefullyAndTheStudyResumes() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let path = try config(group, budget: 16, evaluator: "synthetic", seconds: 0.3)
            let (first, output) = try group.start(["coordinator", "--config", path], name: "coordinator1")
            let endpoint = String(try #require(group.waitForLine(output, prefix: "coordinator listening on ")).split(separator: " ").last!)
            let workers = try startWorkers(group, endpoint: endpoint, count: 2)
            try eventually(timeout: 60, every: 0.1) { try resultRows(group) >= 4 }
            kill(first.processIdentifier, SIGINT)
            #expect(group.wait(first, timeout: 20), "the coordinator ignored SIGINT")
            #expect(first.terminationStatus == 0)
            #expect(group.log("coordinator1").contains("stopping: no new jobs"))
            // The workers were told to shut down and exited by themselves.
            for w in workers { #expect(group.wait(w, timeout: 10)) }
            let stopped = try results(group)
            #expect(stopped.count < 16)
            _ = try startWorkers(group, endpoint: endpoint, count: 2)
            let (second, _) = try group.start(["coordinator", "--config", path, "--resume", "--listen", endpoint], name: "coordinator2")
            #expect(group.wait(second, timeout: 120))
            let after = try results(group)
            #expect(after.count == 16)
            #expect(try resultRows(group) == 16)
            for row in stopped { #expect(after.contains { $0.job == row.job }) }
        }
    }
}


/// CURVE as an operator meets it: a worker without keys and one whose key is not admitted get no welcome and
/// are told why; the coordinator names the refused key; adding the certificate to keys/workers/ while the
/// study runs lets that worker in, and the study finishes with its budget.
@Suite(.serialized) struct ClusterKeysEndToEndTests {
    @Test func aWorkerIsRefusedUntilItsKeyIsAddedToTheRunningStudy() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let path = try ClusterEndToEndTests().config(group, budget: 12, evaluator: "synthetic", seconds: 0.05)
            let keys = group.directory.path + "/keys"
            let generated = try CommandRunner.run(["keys", "generate", keys + "/late"])
            #expect(generated.status == 0)
            let latePublic = try CommandRunner.run(["keys", "show", keys + "/late.key"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(generated.stdout.contains(latePublic))
            let (coordinator, output) = try group.start(["coordinator", "--config", path], name: "coordinator")
            let endpoint = String(try #require(group.waitForLine(output, prefix: "coordinator listening on ")).split(separator: " ").last!)
            try group.start(["worker", "--connect", endpoint, "--id", "keyless", "--log-level", "info"], name: "keyless")
            try group.start(["worker", "--connect", endpoint, "--id", "late", "--key", keys + "/late.key_secret",
                             "--coordinator-key", keys + "/coordinator.key", "--log-level", "info"], name: "late")
            // Both are turned away, and both logs say why.
            eventually(timeout: 30, every: 0.1) {
                group.log("coordinator").contains(latePublic) && group.log("keyless").contains("--keys DIR")
            }
            #expect(group.log("coordinator").contains("public key \(latePublic) is not in the coordinator's workers/ folder"))
             #expect(group.log("keyless").contains("start this worker with --keys DIR"), "\(group.log("keyless"))")
            #expect(group.log("late").contains("refused this worker's key"), "\(group.log("late"))")
            #expect(try ClusterEndToEndTests().resultRows(group) == 0)
            // Admit the late worker while the study waits.
            try FileManager.default.copyItem(atPath: keys + "/late.key", toPath: keys + "/workers/late.key")
            #expect(group.wait(coordinator, timeout: 60), "coordinator did not finish: \(group.log("coordinator"))")
            #expect(coordinator.terminationStatus == 0)
            #expect(group.log("coordinator").contains("worker keys added: late"))
            #expect(try ClusterEndToEndTests().resultRows(group) == 12)
            #expect(try ClusterEndToEndTests().count(group, "SELECT count(DISTINCT worker) FROM record WHERE kind = 4") == 1)
        }
    }

    @Test func curveIsOnByDefaultAndPlainSocketsOnlyOnLoopback() throws {
        let group = try ProcessGroup()
        let yaml = "study: plain\nevaluator:\n  kind: synthetic\ncluster:\n  listen: tcp://127.0.0.1:0\njournal: \(group.directory.path)/j.sqlite\n"
        let path = group.directory.path + "/plain.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let noKeys = try CommandRunner.run(["coordinator", "--config", path])
        #expect(noKeys.status != 0)
        #expect(noKeys.stderr.contains("CURVE is on"), "\(noKeys.stderr)")
        let open = try CommandRunner.run(["coordinator", "--config", path, "--security", "none", "--listen", "tcp://0.0.0.0:0"])
        #expect(open.status != 0)
        #expect(open.stderr.contains("only on loopback"), "\(open.stderr)")
        let remote = try CommandRunner.run(["worker", "--connect", "tcp://10.11.12.13:5555", "--id", "w"])
        #expect(remote.status != 0)
        #expect(remote.stderr.contains("without CURVE"), "\(remote.stderr)")
    }
}

@Suite struct TrainerSearchEndToEndTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                   "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
    func aLocalSearchTrainsCellsOnFashionMNIST() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("configs/fmnist-nb201-proxy.yaml").path
            let journal = group.directory.path + "/fmnist.sqlite"
            let (search, output) = try group.start(["search", "--config", config, "--workers", "1", "--budget", "2",
                                                    "--journal", journal], name: "search")
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(text.contains("2/2 evaluated"))
            let export = try CommandRunner.run(["export", "--journal", journal, "--format", "json"])
            #expect(export.stdout.contains("\"params\""))       // the trainer reports parameters
            #expect(export.stdout.contains("\"test_error\""))
        }
    }
}
