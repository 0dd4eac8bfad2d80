import Foundation
import Testing

/// The reference trainer's data loading (`scripts/trainer_data.py`, numpy only): a job never names a data
/// folder, and CIFAR-10's python batches are read by an unpickler that builds numpy arrays and nothing
/// else, so a planted pickle cannot run code.
@Suite(.enabled(if: TrainerDataScript.available, "needs python3 with numpy"))
struct TrainerDataScriptTests {
    /// Runs `script` with `scripts/` importable, in a fresh folder; returns its standard output.
    static func run(_ script: String) throws -> (status: Int32, output: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try TrainerDataScript.python(["-c", "import sys; sys.path.insert(0, \(TrainerDataScript.quoted(TrainerDataScript.scripts)))\n"
                                                        + script], in: folder)
        return (result.status, result.output, folder)
    }

    @Test func aJobThatNamesADataFolderIsRefusedAndTheOperatorsIsUsed() throws {
        let (status, output, folder) = try Self.run("""
            import trainer_data as td
            try:
                td.data_directory({"data_dir": "/home/victim"}, None, {})
                print("accepted")
            except td.DataError as e:
                print("refused", e.failure_class)
            print("flag", td.data_directory({}, "/from/flag", {"ANASOD_DATA_DIR": "/from/env"}))
            print("env", td.data_directory({"data_dir": None}, None, {"ANASOD_DATA_DIR": "/from/env"}))
            for name in ("../../etc/passwd", "/abs/path", ".hidden", "imagenet", "cifar10"):
                try:
                    print("dataset", td.check_dataset(name))
                except td.DataError as e:
                    print("refused", e.failure_class)
            """)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n") == ["refused configuration", "flag /from/flag", "env /from/env",
                                                  "refused configuration", "refused configuration", "refused configuration",
                                                  "refused configuration", "dataset cifar10"], "\(output)")
    }

    @Test func aPlantedPickleIsRefusedWithoutRunningAndRealBatchesLoad() throws {
        let (status, output, folder) = try Self.run("""
            import os, pickle
            import numpy as np
            import trainer_data as td
            os.makedirs("good/cifar-10-batches-py")
            for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
                with open("good/cifar-10-batches-py/" + name, "wb") as f:  # protocol 2, as CIFAR-10's own files
                    pickle.dump({b"batch_label": b"b", b"labels": [1, 2, 3], b"data": np.full((3, 3072), 7, np.uint8)}, f, protocol=2)
            (xs, ys), (xt, yt), classes = td.load("cifar10", "good")
            print("loaded", xs.shape, int(xs[0, 0, 0, 0]), ys.tolist()[:3], xt.shape, classes)
            class Planted:
                def __reduce__(self):
                    return (os.system, ("touch pwned",))
            os.makedirs("bad")
            with open("bad/data_batch_1", "wb") as f:
                pickle.dump({b"data": Planted(), b"labels": []}, f)
            try:
                td.load("cifar10", "bad")
                print("loaded the planted file")
            except td.DataError as e:
                print("refused", e.failure_class, "refused to build" in e.message)
            print("ran", os.path.exists("pwned"))
            """)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n") == ["loaded (15, 3, 32, 32) 7 [1, 2, 3] (3, 3, 32, 32) 10", "refused data True",
                                                  "ran False"], "\(output)")
    }
}

/// python3 with numpy, and the scripts folder.
enum TrainerDataScript {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts").path

    static let available: Bool = (try? python(["-c", "import numpy"], in: URL(fileURLWithPath: "/")).status) == 0

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func python(_ arguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = folder
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let log = errors.fileHandleForReading.readDataToEndOfFile()  // small: read after standard output
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return (process.terminationStatus, process.terminationStatus == 0 ? text : text + String(decoding: log, as: UTF8.self))
    }
}
