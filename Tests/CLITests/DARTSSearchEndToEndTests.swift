import Foundation
import TestSupport
import Testing

/// `anasod search` over the DARTS space, genotypes trained end to end: by the Swift CPU trainer (the
/// shipped proxy config, fewer genotypes) and by the reference PyTorch trainer where torch is importable.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                             "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
struct DARTSSearchEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The exported evaluations: every one a DARTS genotype with its metrics.
    func expectGenotypes(_ journal: String, count: Int) throws {
        let export = try CommandRunner.run(["export", "--journal", journal, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any]
        let rows = object?["results"] as? [[String: Any]] ?? []
        #expect(rows.count == count, "\(export.stdout)")
        for row in rows {
            let arch = row["arch"] as? String ?? ""
            #expect(arch.hasPrefix("normal=|") && arch.contains(";reduce=|"), "not a DARTS genotype: \(row)")
            #expect((row["params"] as? Int ?? 0) > 0, "\(row)")
            #expect(row["test_error"] is Double && row["status"] as? String == "done", "\(row)")
        }
    }

    @Test func theSwiftTrainerSearchesTheDARTSSpace() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let config = Self.repository.appendingPathComponent("configs/fmnist-darts-proxy.yaml").path
            let journal = group.directory.path + "/darts.sqlite"
            // The shipped proxy, smaller: 3 genotypes, C=4, L=3, on 512 images.
            let path = group.directory.appendingPathComponent("darts.yaml").path
            var text = try String(contentsOfFile: config, encoding: .utf8)
            for (key, value) in [("channels", "4"), ("cells", "3"), ("train_limit", "512"), ("validation_size", "256"), ("test_limit", "256")] {
                text = text.replacingOccurrences(of: #"(?m)^  \#(key): .*$"#, with: "  \(key): \(value)", options: .regularExpression)
            }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (search, output) = try group.start(["search", "--config", path, "--workers", "1", "--budget", "3", "--journal", journal],
                                                   name: "search")
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(log.contains("3/3 evaluated"), "\(log)")
            try expectGenotypes(journal, count: 3)
        }
    }

    @Test(.enabled(if: ExternalTrainerEndToEndTests.torchPython.python != nil, Comment(rawValue: ExternalTrainerEndToEndTests.torchPython.reason)))
    func theReferencePyTorchTrainerTrainsDARTSGenotypes() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let python = ExternalTrainerEndToEndTests.torchPython.python!
            let trainer = Self.repository.appendingPathComponent("scripts/train_cell.py").path
            let path = group.directory.appendingPathComponent("darts-torch.yaml").path
            try """
                study: darts-torch
                space: darts
                strategy: anasod-bo
                budget: 2
                evaluator:
                  kind: external
                  dataset: fashion-mnist
                  command: \(python) \(trainer)
                  channels: 4
                  cells: 3
                  epochs: 1
                  batch_size: 32
                  learning_rate: 0.05
                  train_limit: 256
                  validation_size: 128
                  test_limit: 128
                  cutout: 8
                  drop_path: 0.2
                  kill_grace: 1
                jobs:
                  max_attempts: 1
                  timeout: 600
                cluster:
                  heartbeat: 0.5
                  worker_timeout: 10
                """.write(toFile: path, atomically: true, encoding: .utf8)
            let journal = group.directory.path + "/darts-torch.sqlite"
            let (search, output) = try group.start(["search", "--config", path, "--workers", "1", "--journal", journal], name: "search")
            #expect(group.wait(search, timeout: 300), "search did not finish: \(group.log("search"))")
            #expect(search.terminationStatus == 0, "\(group.log("search"))")
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(log.contains("2/2 evaluated"), "\(log)")
            try expectGenotypes(journal, count: 2)
        }
    }
}
