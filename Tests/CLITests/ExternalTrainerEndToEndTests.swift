import Foundation
import TestSupport
import Testing

/// `anasod search` with external trainer processes: a fake trainer on two (pretend) GPU slots, and the
/// reference PyTorch trainer when torch is importable.
@Suite struct ExternalTrainerEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Python that has torch: `$ANASOD_TEST_PYTHON`, else `python3`; nil (with the reason) when none.
    static let torchPython: (python: String?, reason: String) = {
        let python = ProcessInfo.processInfo.environment["ANASOD_TEST_PYTHON"] ?? "python3"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", "import torch, numpy"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return (nil, "\(python) cannot be started") }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? (python, "") : (nil, "`\(python) -c \"import torch\"` fails: PyTorch is not installed (set ANASOD_TEST_PYTHON to a Python that has it)")
    }()

    func writeConfig(_ group: ProcessGroup, command: String, extra: String = "", budget: Int) throws -> String {
        let path = group.directory.appendingPathComponent("external.yaml").path
        try """
            study: external-e2e
            strategy: anasod-bo
            budget: \(budget)
            evaluator:
              kind: external
              dataset: fashion-mnist
              command: \(command)
              kill_grace: 1
            \(extra)
            jobs:
              max_attempts: 2
              timeout: 600
            cluster:
              heartbeat: 0.5
              worker_timeout: 10
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aLocalSearchDrivesAFakeTrainerOnTwoGPUSlots() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let dir = group.directory.path
            let script = group.directory.appendingPathComponent("fake.sh").path
            try """
                #!/bin/sh
                echo "$CUDA_VISIBLE_DEVICES" >> \(dir)/devices
                echo '{"event": "progress", "epoch": 1, "train_loss": 1.0, "validation_error": 50, "seconds": 0.01}'
                echo "{\\"event\\": \\"result\\", \\"validation_error\\": $(( $(cksum < "$ANASOD_JOB_FILE" | cut -c1-4) % 90 + 5 )), \\"parameters\\": 42}"
                """.write(toFile: script, atomically: true, encoding: .utf8)
            // The study names a trainer that does not exist; the worker's --trainer-command replaces it.
            let config = try writeConfig(group, command: "/no/such/trainer", budget: 6)
            let journal = dir + "/external.sqlite"
            // The pre-flight asks nvidia-smi for the GPUs --gpus names: a fake one lists two.
            let bin = try group.fakeNvidiaSMI(gpus: 2)
            let (search, output) = try group.start(["search", "--config", config, "--gpus", "0,1", "--journal", journal,
                                                    "--trainer-command", "/bin/sh \(script)"], name: "search",
                                                   environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
            #expect(group.wait(search, timeout: 120), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(text.contains("6/6 evaluated"), "\(text)")
            let devices = try String(contentsOfFile: dir + "/devices", encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(devices.count == 6)
            #expect(Set(devices).isSubset(of: ["0", "1"]))
            let export = try CommandRunner.run(["export", "--journal", journal, "--format", "json"])
            #expect(export.stdout.contains("\"params\""))
        }
    }

    @Test(.enabled(if: ExternalTrainerEndToEndTests.torchPython.python != nil, Comment(rawValue: ExternalTrainerEndToEndTests.torchPython.reason)),
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                   "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
    func theReferencePyTorchTrainerTrainsACellThroughTheWorker() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let python = Self.torchPython.python!
            let trainer = Self.repository.appendingPathComponent("scripts/train_cell.py").path
            let config = try writeConfig(group, command: "\(python) \(trainer)", extra: """
                  channels: 4
                  cells: 1
                  epochs: 1
                  batch_size: 64
                  learning_rate: 0.05
                  train_limit: 512
                  validation_size: 256
                  test_limit: 256
                """, budget: 1)
            let journal = group.directory.path + "/torch.sqlite"
            let (search, output) = try group.start(["search", "--config", config, "--workers", "1", "--journal", journal], name: "search")
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(text.contains("1/1 evaluated"), "\(text)")
            let export = try CommandRunner.run(["export", "--journal", journal, "--format", "json"])
            #expect(export.stdout.contains("\"params\""))
            #expect(export.stdout.contains("\"test_error\""))
        }
    }

    @Test(.enabled(if: ExternalTrainerEndToEndTests.torchPython.python == nil, "torch is installed here"))
    func theReferenceTrainerSaysClearlyWhenTorchIsMissing() async throws {
        try await offPool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", Self.repository.appendingPathComponent("scripts/train_cell.py").path, "--arch", "x"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 3)
            #expect(text.contains("needs PyTorch"))
            #expect(!text.contains("Traceback"))
        }
    }
}
