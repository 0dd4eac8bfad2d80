import Foundation
import TestSupport
import Testing

/// `anasod dnas` as a user runs it: a short search on a Fashion-MNIST subset, killed with SIGKILL after
/// its first epoch, resumed, ending with journaled epochs and sampled cells.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                             "needs Fashion-MNIST: apt-get install dataset-fashion-mnist (scripts/setup.sh)"))
struct DNASCommandTests {
    @Test func aKilledSearchResumesFromItsLastEpoch() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let dir = group.directory.path
            let config = dir + "/dnas.yaml"
            try """
                study: dnas-e2e
                method: anasod
                channels: 3
                cells: 1
                epochs: 3
                batch_size: 32
                train_limit: 384
                samples: 3
                journal: \(dir)/dnas.sqlite
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let (first, _) = try group.start(["dnas", "--config", config, "--threads", "1"], name: "first")
            let progress = group.directory.appendingPathComponent("first.err")
            #expect(group.waitForLine(progress, prefix: "epoch 1/3", timeout: 120) != nil, "no first epoch: \(group.log("first"))")
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            let again = try CommandRunner.run(["dnas", "--config", config, "--threads", "1"])
            #expect(again.status != 0 && again.stderr.contains("--resume"), "\(again.stderr)")
            // The found cells then become a study's jobs (strategy: list), trained by a local cluster.
            let template = dir + "/eval.yaml"
            try """
                study: ignored
                strategy: anasod-bo
                evaluator:
                  kind: trainer
                  channels: 3
                  epochs: 1
                  batch_size: 64
                  train_limit: 256
                  validation_size: 128
                  test_limit: 0
                cluster:
                  listen: tcp://127.0.0.1:0
                  heartbeat: 0.5
                """.write(toFile: template, atomically: true, encoding: .utf8)
            let resumed = try CommandRunner.run(["dnas", "--config", config, "--resume", "--threads", "1", "--evaluate", template,
                                                 "--workers", "1", "--nb201-dir", dir + "/no-tables"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            // No NB201 tables there: each empty column says why, with the load error.
            #expect(resumed.stdout.contains("(no NB201 CIFAR-10 column: NB201 table '\(dir)/no-tables/cifar10.csv' does not exist"),
                    "\(resumed.stdout)")
            #expect(resumed.stdout.contains("(no NB201 CIFAR-100 column: NB201 table '\(dir)/no-tables/cifar100.csv'"))
            #expect(resumed.stderr.contains("resuming 'dnas-e2e' after epoch"), "\(resumed.stderr)")
            #expect(resumed.stderr.contains("epoch 3/3"))
            #expect(resumed.stdout.contains("Found by anasod after 3 epochs"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains("Evaluating 3 cell(s) as study 'dnas-e2e-eval'"), "\(resumed.stdout)")
            let evaluated = try CommandRunner.run(["export", "--journal", dir + "/dnas.eval.sqlite", "--format", "json"])
            let found = try CommandRunner.shell("sqlite3 \(dir)/dnas.sqlite 'SELECT arch FROM cell ORDER BY rank'")
            for arch in found.split(separator: "\n") { #expect(evaluated.stdout.contains(String(arch)), "\(arch) not trained") }
            #expect(evaluated.stdout.components(separatedBy: "\"status\" : \"done\"").count - 1 == 3, "\(evaluated.stdout)")
            // The journal holds every epoch once and the sampled cells (read with plain sqlite3).
            let epochs = try CommandRunner.shell("sqlite3 \(dir)/dnas.sqlite 'SELECT group_concat(epoch) FROM epoch; SELECT count(*) FROM cell;'")
            #expect(epochs.split(separator: "\n") == ["1,2,3", "3"], "\(epochs)")
        }
    }
}
