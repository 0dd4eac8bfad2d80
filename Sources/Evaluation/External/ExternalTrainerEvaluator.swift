import ANASOD
import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Trains a cell with an external program (`cluster/TRAINER.md`): `/bin/sh -c <command>` in a session
/// and process group of its own, given the job as JSON on standard input and in `$ANASOD_JOB_FILE`,
/// `CUDA_VISIBLE_DEVICES` set to the slot's GPU. Each JSON line it prints on standard output is parsed as
/// it arrives: `progress` lines are forwarded, the `result` line is the outcome. Standard error goes to
/// `<work_dir>/stderr.log` and its last lines travel with a failure.
///
/// Never a hung slot: past the job's deadline, on cancellation, or at the first line that breaks the
/// protocol, the whole process group gets SIGTERM and, `killGrace` seconds later, SIGKILL; when the
/// trainer ends, whatever it left running in its group is killed too.
public struct ExternalTrainerEvaluator: Evaluator {
    public var kind: EvaluationSettings.Kind { .external }
    /// The shell command line that starts the trainer.
    public let command: String
    /// The job as the trainer will see it (its seed is replaced by the one `evaluate` gets).
    public let job: TrainerJob
    /// Seconds between SIGTERM and SIGKILL.
    public let killGrace: Double
    /// Lines of standard error sent with a failure.
    public let tailLines: Int

    public init(command: String, job: TrainerJob, killGrace: Double = EvaluationSettings.defaultKillGrace,
                tailLines: Int = 20) {
        _ = Self.ignoreBrokenPipes
        self.command = command
        self.job = job
        // A grace that is not a sane number of seconds (it travels as text in the job) falls back to 5 s.
        self.killGrace = killGrace.isFinite && killGrace >= 0 ? min(killGrace, EvaluationSettings.longestKillGrace)
            : EvaluationSettings.defaultKillGrace
        self.tailLines = tailLines
    }

    public func evaluate(_ architecture: Architecture, seed: UInt64,
                         progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        var job = self.job
        job.seed = seed
        let (reports, sink) = AsyncStream<EpochProgress>.makeStream()
        // The supervision runs in a task of its own; its reports come back through the stream drained
        // here, so `progress` is only called on the caller's task.
        let supervisor = Task { [self, job] in
            defer { sink.finish() }
            return try await supervise(job, reports: sink)
        }
        await withTaskCancellationHandler {
            for await report in reports { progress(report) }
        } onCancel: {
            supervisor.cancel()
        }
        return try await supervisor.value
    }

    /// A trainer that exits without reading its standard input must not kill the worker with SIGPIPE:
    /// writes to a closed pipe fail with EPIPE instead (set once, for the whole process).
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs the trainer under the job's deadline.
    func supervise(_ job: TrainerJob, reports: AsyncStream<EpochProgress>.Continuation) async throws -> Metrics {
        let directory = URL(fileURLWithPath: job.workDirectory)
        let jobFile = directory.appendingPathComponent("job.json")
        let json: Data
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            json = try job.json()
            try json.write(to: jobFile)
        } catch {
            throw EvaluationError(.evaluationFailed, "cannot write the trainer's job file \(jobFile.path): \(error.localizedDescription)")
        }
        let remaining = job.deadline - Date().timeIntervalSince1970
        guard remaining > 0 else { throw EvaluationError(.evaluationFailed, "the job's deadline passed before the trainer started") }
        let started = Date()
        let stderrLog = StderrLog(path: directory.appendingPathComponent("stderr.log").path, keep: tailLines)
        defer { stderrLog.close() }
        do {
            return try await withThrowingTaskGroup(of: Metrics?.self) { group in
                group.addTask {
                    try await runTrainer(job, json: json, jobFile: jobFile.path, log: stderrLog, reports: reports, started: started)
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(min(remaining, 1e8) * 1e9))  // ≤ ~3 years
                    return nil  // the deadline
                }
                // The first child to finish decides; leaving the group cancels the other, which tears the
                // trainer's process group down before this returns.
                let first = try await group.next()!
                group.cancelAll()
                guard let result = first else {
                    throw EvaluationError(.evaluationFailed,
                                          String(format: "trainer ran past the job's deadline (%.0f s); its process group was terminated", remaining)
                                              + stderrLog.tailForMessage())
                }
                return result
            }
        } catch let error as EvaluationError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            throw EvaluationError(.evaluationFailed, "cannot run trainer '\(command)': \(error)" + stderrLog.tailForMessage())
        }
    }

    /// Starts the trainer, parses its output until it exits, and judges the outcome.
    private func runTrainer(_ job: TrainerJob, json: Data, jobFile: String, log: StderrLog,
                            reports: AsyncStream<EpochProgress>.Continuation, started: Date) async throws -> Metrics {
        var options = PlatformOptions()
        options.createSession = true
        let teardown: [TeardownStep] = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(Int64(killGrace * 1000)))]
        options.teardownSequence = teardown
        var environment: [Environment.Key: String?] = [
            "ANASOD_JOB_FILE": jobFile, "ANASOD_WORK_DIR": job.workDirectory, "PYTHONUNBUFFERED": "1",
        ]
        if let device = job.device { environment["CUDA_VISIBLE_DEVICES"] = device }
        let group = ProcessGroup()
        defer { group.killRemaining() }
        // Standard input reads the job file itself (no pipe to feed: a trainer that never reads it is fine).
        let stdin = try FileDescriptor.open(FilePath(jobFile), .readOnly)
        let execution = try await run(
            .path("/bin/sh"), arguments: ["-c", command], environment: .inherit.updating(environment),
            platformOptions: options, input: .fileDescriptor(stdin, closeAfterSpawningProcess: true),
            output: .sequence, error: .sequence
        ) { execution -> (Metrics?, EvaluationError?, (FailureClass, String)?) in
            group.set(execution.processIdentifier.value)
            async let drained: Void = {
                for try await line in execution.standardError.strings() { log.append(line) }
            }()
            var result: Metrics?
            var violation: EvaluationError?
            var declared: (FailureClass, String)?
            do {
                for try await line in execution.standardOutput.strings(bufferingPolicy: .maxLineLength(1 << 20)) {
                    guard violation == nil else { continue }  // draining after a violation
                    do {
                        switch try TrainerLine.parse(line) {
                        case .progress(let p)?: reports.yield(p)
                        case .result(let r)?:
                            if result != nil { throw EvaluationError(.trainerProtocol, "trainer printed a second 'result' line") }
                            result = r
                        case .failure(let failureClass, let reason)?:
                            if declared == nil { declared = (failureClass, reason) }
                        case nil: break
                        }
                    } catch let error as EvaluationError {
                        violation = error
                        await execution.teardown(using: teardown)
                    }
                }
            } catch let error as SubprocessError {
                if violation == nil { violation = EvaluationError(.trainerProtocol, "trainer printed a line over 1 MiB: \(error)") }
                await execution.teardown(using: teardown)
            }
            try? await drained  // stderr only feeds the log and its tail: a line it could not read changes no outcome
            return (result, violation, declared)
        }
        let (result, violation, declared) = execution.closureResult
        if let violation { throw EvaluationError(violation.code, violation.message + log.tailForMessage(), class: violation.failureClass) }
        if let (failureClass, reason) = declared, result == nil || execution.terminationStatus != .exited(0) {
            throw EvaluationError(.evaluationFailed, "trainer failed (\(failureClass.rawValue)): \(reason)" + log.tailForMessage(),
                                  class: failureClass)
        }
        switch execution.terminationStatus {
        case .exited(0):
            guard var result else {
                throw EvaluationError(.trainerProtocol, "trainer exited without printing a 'result' line" + log.tailForMessage())
            }
            if result.trainSeconds == 0 { result.trainSeconds = Date().timeIntervalSince(started) }
            return result
        case .exited(let code):
            let failureClass = Self.failureClass(exitStatus: code)
            throw EvaluationError(.evaluationFailed, "trainer exited with status \(code) (\(failureClass.rawValue))" + log.tailForMessage(),
                                  class: failureClass)
        case .signaled(let signal):
            // SIGKILL that the worker did not send (its own kills end in a deadline or cancellation error):
            // most often the kernel's out-of-memory killer.
            let failureClass: FailureClass = signal == SIGKILL ? .resource : .transient
            throw EvaluationError(.evaluationFailed, "trainer was killed by signal \(signal) (\(failureClass.rawValue))" + log.tailForMessage(),
                                  class: failureClass)
        }
    }

    /// What a trainer's exit status means when it printed no `failure` line (the table in cluster/TRAINER.md):
    /// 2 the settings cannot work, 3 missing or unreadable input, 4 the cell itself fails, 5 out of memory
    /// or a GPU error, 75 (`EX_TEMPFAIL`) try again, 126/127 the command cannot run on this worker; any
    /// other status is taken as transient.
    public static func failureClass(exitStatus: Int32) -> FailureClass {
        switch exitStatus {
        case 2: .configuration
        case 3, 126, 127: .data
        case 4: .architecture
        case 5: .resource
        default: .transient
        }
    }
}

/// The trainer's process group; whatever is left in it when the trainer ends is killed.
final class ProcessGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var leader: pid_t?

    func set(_ pid: pid_t) { lock.withLock { leader = pid } }

    func killRemaining() {
        guard let pid = lock.withLock({ leader }), pid > 0 else { return }
        _ = kill(-pid, SIGKILL)  // ESRCH when the group is already gone
    }
}

/// The trainer's standard error: every line appended to a log file, the last lines kept for messages.
final class StderrLog: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle?
    private let keep: Int
    private var lines = [String]()

    init(path: String, keep: Int) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)
        self.keep = keep
    }

    func append(_ line: String) {
        lock.withLock {
            // Best effort: the log file is for the operator; the tail kept below feeds the messages.
            try? handle?.write(contentsOf: Data(line.utf8) + Data([0x0A]))
            lines.append(String(line.prefix(500)))
            if lines.count > keep { lines.removeFirst(lines.count - keep) }
        }
    }

    var tail: [String] { lock.withLock { lines } }

    /// "; stderr: …" with the last lines, or nothing when the trainer printed none.
    func tailForMessage() -> String {
        let t = tail.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return t.isEmpty ? "" : "; last lines of stderr:\n" + t.joined(separator: "\n")
    }

    func close() { lock.withLock { try? handle?.close() } }
}
