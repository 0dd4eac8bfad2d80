import Foundation
import Testing

/// A misconfigured study stops at the first sign (issue 18): settings that cannot work fail before any
/// job is dispatched, in under 5 seconds, with one line naming the keys, and leave no journal behind;
/// what can only show on a worker stops the study after its first `configuration` failure.
@Suite struct PreflightTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Outcome {
        /// Keeps the run's folder until the outcome is dropped.
        var group: ProcessGroup
        var directory: String
        var status: Int32
        var error: String
        var seconds: Double
        var journalExists: Bool
        var keysExist: Bool
    }

    /// `anasod search` on `yaml` in a fresh folder (its journal and keys there).
    func search(_ yaml: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> Outcome {
        let group = try ProcessGroup()
        let dir = group.directory.path
        let config = dir + "/study.yaml"
        try (yaml + "\njournal: \(dir)/journal.sqlite\n").write(toFile: config, atomically: true, encoding: .utf8)
        let started = Date()
        let (process, _) = try group.start(["search", "--config", config] + extra, name: "search", environment: environment)
        #expect(group.wait(process, timeout: 60), "search did not stop: \(group.log("search"))")
        return Outcome(group: group, directory: dir, status: process.terminationStatus, error: group.log("search"), seconds: Date().timeIntervalSince(started),
                       journalExists: FileManager.default.fileExists(atPath: dir + "/journal.sqlite"),
                       keysExist: FileManager.default.fileExists(atPath: dir + "/s.keys"))
    }

    /// The pre-flight's verdict: a non-zero exit in under 5 s, one error line that says `words`, no journal.
    func expectRefused(_ outcome: Outcome, saying words: [String]) {
        #expect(outcome.status != 0)
        #expect(outcome.seconds < 5, "took \(outcome.seconds) s")
        let lines = outcome.error.split(separator: "\n").filter { !$0.hasPrefix("anasod: OpenBLAS") }
        #expect(lines.count == 1, "not one line: \(outcome.error)")
        for word in words { #expect(outcome.error.contains(word), "'\(word)' not in: \(outcome.error)") }
        #expect(!outcome.journalExists, "a journal was left behind")
        #expect(!outcome.keysExist, "a key folder was left behind")
    }

    @Test func aDARTSNetworkFashionMNISTCannotGoThroughIsRefused() throws {
        // 28 × 28 images reach the second reduction at 7 × 7: too small for the auxiliary head.
        expectRefused(try search("study: s\nspace: darts\nevaluator:\n  kind: trainer\n  cells: 6\n  auxiliary_weight: 0.4\n"),
                      saying: ["'evaluator.cells: 6'", "auxiliary head", "7×7", "auxiliary_weight"])
    }

    @Test func aDataSetTheEvaluatorDoesNotReadIsNamed() throws {
        expectRefused(try search("study: s\nevaluator:\n  kind: trainer\n  dataset: cifar10\n"),
                      saying: ["'evaluator.dataset: cifar10'", "'evaluator.kind: trainer'", "fashion-mnist"])
    }

    @Test func gpusWithoutNvidiaSMIStopBeforeAJournalExists() throws {
        // A PATH with no nvidia-smi on it (an empty folder).
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        expectRefused(try search("study: s\nevaluator:\n  kind: synthetic\n", ["--gpus", "auto"], environment: ["PATH": empty]),
                      saying: ["--gpus auto", "nvidia-smi"])
    }

    @Test func aGPUThatIsNotThereIsNamed() throws {
        let group = try ProcessGroup()
        let bin = try group.fakeNvidiaSMI(gpus: 2)
        expectRefused(try search("study: s\nevaluator:\n  kind: synthetic\n", ["--gpus", "0,3"], environment: ["PATH": bin + ":/usr/bin:/bin"]),
                      saying: ["--gpus 0,3", "no GPU 3"])
    }

    @Test func aMissingTableIsNamed() throws {
        expectRefused(try search("study: s\nevaluator:\n  kind: table\n  dataset: cifar100\n", ["--nb201-dir", "/no/such/folder"]),
                      saying: ["'evaluator.dataset: cifar100'", "/no/such/folder/cifar100.csv"])
    }

    @Test func aTrainerCommandThatCannotRunIsNamed() throws {
        expectRefused(try search("study: s\nevaluator:\n  kind: external\n  command: /no/such/trainer --fast\n"),
                      saying: ["/no/such/trainer", "not an executable file"])
        expectRefused(try search("study: s\nevaluator:\n  kind: external\n  command: python3 no_such_script.py\n"),
                      saying: ["no_such_script.py", "does not exist"])
        expectRefused(try search("study: s\nevaluator:\n  kind: external\n"), saying: ["'evaluator.command'", "--trainer-command"])
    }

    @Test func aGPUStudyNeedsGPUs() throws {
        expectRefused(try search("study: s\nevaluator:\n  kind: external\n  device: gpu\n  command: /bin/true\n"),
                      saying: ["'evaluator.device: gpu'", "--gpus"])
    }

    @Test func keysAnEvaluatorDoesNotReadAreNamed() throws {
        expectRefused(try search("study: s\nevaluator:\n  kind: table\n  epochs: 10\n"),
                      saying: ["'evaluator.epochs' not read by 'evaluator.kind: table'"])
    }

    /// What only the trainer can tell (its settings cannot work): the study stops after the first
    /// `configuration` failure, with at most one job dispatched to each worker.
    @Test func aTrainerThatRejectsTheSettingsStopsTheStudyAfterOneJobPerWorker() throws {
        let group = try ProcessGroup()
        let script = group.directory.appendingPathComponent("trainer.sh").path
        try "#!/bin/sh\necho 'train_cell: CIFAR-10 needs data_dir: the folder with cifar-10-batches-py' >&2\nexit 2\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let outcome = try search("study: s\nbudget: 20\nevaluator:\n  kind: external\n  dataset: cifar10\n  command: /bin/sh \(script)\n",
                                 ["--workers", "2"])
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("configuration error"), "\(outcome.error)")
        #expect(outcome.error.contains("CIFAR-10 needs data_dir"), "\(outcome.error)")
        #expect(outcome.seconds < 30)
        // One attempt per worker at most: the two workers' first jobs, nothing retried.
        let export = try CommandRunner.run(["export", "--journal", outcome.directory + "/journal.sqlite", "--format", "csv"])
        let attempts = export.stdout.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[2]) }
        #expect((1...2).contains(attempts.reduce(0, +)), "\(export.stdout)")
    }

    /// Every shipped configuration passes `anasod check` here (the GPU one skips its GPU part, saying why).
    @Test(.enabled(if: CommandRunner.tableAvailable, "needs the NB201 tables (../shared/data/nb201 or $ANASOD_NB201_DIR)"))
    func everyShippedConfigPassesTheCheck() throws {
        let configs = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("configs").path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("dnas-") }.sorted()  // dnas-*: one-shot searches, not studies
        #expect(configs.count >= 4)
        for name in configs {
            // Run where a user runs it: the repository (configs name scripts/ relative to it).
            let output = try CommandRunner.run(["check", "--config", "configs/\(name)", "--nb201-dir", CommandRunner.nb201Directory],
                                               in: Self.repository.path)
            #expect(output.status == 0, "\(name): \(output.stderr)")
            #expect(output.stdout.contains("pre-flight passed"), "\(name): \(output.stdout)")
            if name.contains("gpu") {
                #expect(output.stdout.contains("skipped"), "\(name): \(output.stdout)")
            } else {
                #expect(output.stdout.contains("tiny run"), "\(name): \(output.stdout)")
            }
        }
    }
}
