import ANASOD
import Evaluation
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Small trainers written for the tests: shell scripts in a temporary folder, run through the
/// `ExternalTrainerEvaluator` like a real one.
struct FakeTrainer {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-trainer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Writes `script` (a `sh` script) and returns the command that runs it.
    func command(_ name: String, _ script: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try ("#!/bin/sh\n" + script).write(toFile: path, atomically: true, encoding: .utf8)
        return "/bin/sh \(path)"
    }

    static let cell = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"

    /// An evaluator for `command` with a job whose deadline is `seconds` away.
    func evaluator(_ command: String, seconds: Double = 30, device: String? = nil, killGrace: Double = 0.5) throws -> ExternalTrainerEvaluator {
        let architecture = try NB201SearchSpace().parse(Self.cell)
        var evaluation = EvaluationSettings(kind: .external)
        evaluation.training.channels = 8
        evaluation.training.epochs = 2
        evaluation.training.learningRate = 0.05
        let job = TrainerJob(study: "fake", job: 7, attempt: 1, space: NB201SearchSpace(), architecture: Self.cell, cell: architecture,
                                 encoding: [[0.5, 0, 0.5, 0, 0]], seed: 0, evaluation: evaluation,
                                 workDirectory: folder.appendingPathComponent("work").path, device: device,
                                 deadline: Date().timeIntervalSince1970 + seconds)
        return ExternalTrainerEvaluator(command: command, job: job, killGrace: killGrace)
    }

    /// A pid the script wrote to `name` in the folder.
    func pid(_ name: String) -> pid_t? {
        (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Whether a process exists and is not a zombie.
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Whether a process is gone within `seconds` (signals are delivered asynchronously; init reaps orphans).
    static func gone(_ pid: pid_t, within seconds: Double = 3) async -> Bool {
        await eventuallyAsync(timeout: seconds) { !alive(pid) }
    }

    /// Waits up to `seconds` for a file the script writes.
    func waitFor(_ name: String, seconds: Double = 10) async {
        let path = folder.appendingPathComponent(name).path
        await eventuallyAsync(timeout: seconds) { FileManager.default.fileExists(atPath: path) }
    }
}

/// Collects progress reports from a `@Sendable` callback.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items = [EpochProgress]()
    func append(_ p: EpochProgress) { lock.withLock { items.append(p) } }
    var reports: [EpochProgress] { lock.withLock { items } }
}
