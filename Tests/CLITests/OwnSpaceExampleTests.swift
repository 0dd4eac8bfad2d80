import ANASOD
import Foundation
import Journal
import TestSupport
import Testing

@testable import Cluster

/// Issue 29's worked example, as the README runs it: the study file `configs/fmnist-chain8.yaml` defines
/// its own space, and `anasod search` trains its cells in worker processes with the NumPy trainer of
/// `examples/own-space/` (on the `anasod_trainer` library). The Python library's and the example's own
/// unit tests run here too.
@Suite(.enabled(if: NumPyPython.available, "needs python3 with NumPy (apt-get install python3-numpy)"))
struct OwnSpaceExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theTrainerLibrarysUnitTestsPass() throws {
        let result = try NumPyPython.run(["python3", "-m", "unittest", "discover", "-s", "tests"],
                                  directory: Self.repository.appendingPathComponent("python"))
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func theExamplesUnitTestsPass() throws {
        let result = try NumPyPython.run(["python3", "-m", "unittest", "discover", "-s", "examples/own-space", "-p", "test_*.py"],
                                  directory: Self.repository)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                   "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
    func theExampleStudySearchesItsOwnSpaceThroughWorkerProcesses() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let journal = group.directory.appendingPathComponent("chain8.sqlite").path
            // The shipped study file, smaller: 6 cells of 2 epochs on 2,000 images, the trainer by its full path
            // (the workers run it in this test's folder).
            var text = try String(contentsOf: Self.repository.appendingPathComponent("configs/fmnist-chain8.yaml"), encoding: .utf8)
            let trainer = Self.repository.appendingPathComponent("examples/own-space/train_numpy.py").path
            for (from, to) in [("python3 examples/own-space/train_numpy.py", "python3 \(trainer)"), ("budget: 40", "budget: 6"),
                               ("epochs: 3", "epochs: 2"), ("train_limit: 10000", "train_limit: 2000"),
                               ("validation_size: 5000", "validation_size: 1000"), ("test_limit: 5000", "test_limit: 1000")] {
                #expect(text.contains(from), "configs/fmnist-chain8.yaml no longer says '\(from)'")
                text = text.replacingOccurrences(of: from, with: to)
            }
            // A limit the trainer measures after training (issue 30): its latency, which the NumPy trainer reports
            // with its memory. Where it falls among the cells depends on the machine: what is checked is that every
            // result carries both and that the best seen keeps to the limit.
            text += "objective:\n  constraints:\n    latency_ms: \"<= 0.05\"\n"
            let config = group.directory.appendingPathComponent("chain8.yaml").path
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let (search, output) = try group.start(["search", "--config", config, "--workers", "2", "--journal", journal,
                                                    "--listen", "tcp://127.0.0.1:0"], name: "search")
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(printed.contains("6/6 evaluated"), "\(printed)")

            // The journal holds the user space's cells, their per-epoch progress and their results.
            let records = try SQLiteJournal(path: journal).records()
            let space = try SlotSearchSpace(name: "chain8", operations: ["identity", "dense_relu", "dense_tanh", "residual", "bottleneck"],
                                            slots: 8)
            var proposed = 0, epochs = [UInt64: Set<Int>](), results = 0, outcomes = [(error: Double, latency: Double)]()
            for record in records {
                switch record {
                case .proposed(_, let jobs, _):
                    for job in jobs { try space.validate(try space.parse(job.architecture)) }
                    proposed += jobs.count
                case .progress(let job, _, let progress):
                    #expect(progress.validationError.map { (0...100).contains($0) } ?? false)
                    epochs[job, default: []].insert(progress.epoch)
                case .result(_, _, _, let metrics, _):
                    #expect((0...100).contains(metrics.validationError))
                    #expect((metrics.parameters ?? 0) > 0)
                    #expect((metrics.latencyMs ?? 0) > 0 && (metrics.memoryMB ?? 0) > 0, "\(metrics)")
                    outcomes.append((metrics.validationError, metrics.latencyMs ?? .infinity))
                    results += 1
                default:
                    break
                }
            }
            #expect(proposed >= 6 && results == 6)
            #expect(epochs.count >= 6 && epochs.values.allSatisfy { $0 == [1, 2] }, "\(epochs)")
            let study = try #require(try SQLiteJournal(path: journal).study())
            #expect(try JournalEncodingAnalysis.declaredSpace(study) == .defined(space))
            let within = outcomes.filter { $0.latency <= 0.05 }
            let status = try CommandRunner.run(["status", "--journal", journal]).stdout
            #expect(status.contains("limits measured in evaluation (latency_ms <= 0.05): \(outcomes.count - within.count) of 6 result(s)"),
                    "\(status)")
            if let best = within.map(\.error).min() {
                #expect(status.contains(String(format: "best seen %.3f %%", best)), "\(status)")
            } else {
                #expect(!status.contains("best seen"), "\(status)")
            }
        }
    }
}

/// The same example on GPU slots with the PyTorch trainer (`configs/fmnist-chain8-gpu.yaml`), where a Python
/// with torch is at hand (`$ANASOD_TEST_PYTHON`, else `python3`): a fake `nvidia-smi` lists one GPU, so the
/// worker's GPU path runs (one slot, `CUDA_VISIBLE_DEVICES`); torch trains on the CPU when CUDA is absent.
@Suite(.enabled(if: ExternalTrainerEndToEndTests.torchPython.python != nil,
                Comment(rawValue: ExternalTrainerEndToEndTests.torchPython.reason)),
       .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
struct OwnSpaceTorchExampleTests {
    @Test func theGPUStudyTrainsItsCellsWithPyTorchOnAGPUSlot() async throws {
        try await offPool {
            let group = try ProcessGroup()
            var text = try String(contentsOf: OwnSpaceExampleTests.repository.appendingPathComponent("configs/fmnist-chain8-gpu.yaml"),
                                  encoding: .utf8)
            for (from, to) in [("budget: 100", "budget: 3"), ("channels: 256", "channels: 32"), ("epochs: 10", "epochs: 2"),
                               ("train_limit: 0 ", "train_limit: 1000 #"), ("validation_size: 10000", "validation_size: 500"),
                               ("tcp://0.0.0.0:5555", "tcp://127.0.0.1:0")] {
                #expect(text.contains(from), "configs/fmnist-chain8-gpu.yaml no longer says '\(from)'")
                text = text.replacingOccurrences(of: from, with: to)
            }
            let config = group.directory.appendingPathComponent("chain8-gpu.yaml").path
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let trainer = OwnSpaceExampleTests.repository.appendingPathComponent("examples/own-space/train_torch.py").path
            let bin = try group.fakeNvidiaSMI(gpus: 1)
            let journal = group.directory.appendingPathComponent("gpu.sqlite").path
            let (search, output) = try group.start(["search", "--config", config, "--gpus", "0", "--journal", journal,
                                                    "--trainer-command", "\(ExternalTrainerEndToEndTests.torchPython.python!) \(trainer)"],
                                                   name: "search",
                                                   environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(printed.contains("3/3 evaluated"), "\(printed)")
        }
    }
}

/// Whether `python3` imports NumPy.
enum NumPyPython {
    static let available = (try? run(["python3", "-c", "import numpy"]).status) == 0

    static func run(_ arguments: [String], directory: URL? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }
}

