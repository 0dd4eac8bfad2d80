import Foundation
import TestSupport
import Testing

/// The shipped batch scripts against a real Slurm: a single-node cluster on this machine
/// (scripts/slurm-local.sh: munged, slurmctld, slurmd with a config of their own), started once for the
/// suite. A study finishes with its budget; `scontrol requeue` mid-study resumes it from the saved journal
/// with nothing lost or trained twice; a time limit's warning signal drains and requeues; a killed worker
/// task costs nothing; the GPU worker array passes `sbatch --test-only`.
@Suite(.serialized) struct SlurmTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Why Slurm cannot run here (nil: it can): it needs root and Debian's slurm-wlm and munge.
    static let missing: String? = {
        if getuid() != 0 { return "the Slurm tests need root (slurmd runs jobs as their users)" }
        for tool in ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing: scripts/setup.sh installs slurm-wlm and munge"
        }
        return nil
    }()

    static var available: Bool { missing == nil }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: String?

    /// The single-node Slurm of this test run (started by the first test that needs it, stopped at exit):
    /// its config file. - Throws: when it does not start, with the script's reason.
    static func slurmConf() throws -> String {
        try lock.withLock {
            if let started { return started }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString)").path
            let output = try CommandRunner.shell("bash '\(root.path)/scripts/slurm-local.sh' start '\(dir)' 2>&1")
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("export SLURM_CONF=") }) else {
                throw Failure(message: "Slurm did not start: \(output)")
            }
            let conf = String(line.dropFirst("export SLURM_CONF=".count))
            started = conf
            atexit { _ = try? CommandRunner.shell("bash '\(SlurmTests.root.path)/scripts/slurm-local.sh' stop '\((SlurmTests.started! as NSString).deletingLastPathComponent)'") }
            return conf
        }
    }

    /// A Slurm command's standard output (stderr folded in).
    static func slurmCommand(_ command: String, in folder: String) throws -> String {
        try CommandRunner.shell("cd '\(folder)' && SLURM_CONF='\(try slurmConf())' \(command) 2>&1")
    }

    /// Submits the study script for a synthetic NB201 study once the node is idle (a job of an earlier test
    /// that is still being torn down would hold the node's two cores, delaying this one's start and its
    /// time-limit signal); the job id and its folder.
    static func submit(budget: Int, seconds: Double, extra: String = "") throws -> (job: String, folder: String) {
        try submitWithPort(budget: budget, seconds: seconds, extra: extra).0
    }

    /// `submit`, and the coordinator's port (its workers' command lines name it).
    static func submitWithPort(budget: Int, seconds: Double, extra: String = "") throws -> ((job: String, folder: String), Int) {
        let idle = try waitUntil(timeout: 180) {
            try slurmCommand("squeue -h -o %i", in: "/").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        if !idle { throw Failure(message: "the node did not become idle: \(try slurmCommand("squeue", in: "/"))") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-job-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        study: slurm
        space: nb201
        strategy: anasod-bo
        budget: \(budget)
        evaluator:
          kind: synthetic
          seconds: \(seconds)
        cluster:
          heartbeat: 0.5
          worker_timeout: 3
        """.write(toFile: folder + "/study.yaml", atomically: true, encoding: .utf8)
        let port = Int.random(in: 30000...39000)
        let job = try slurmCommand("ANASOD='\(CommandRunner.executable.path)' ANASOD_PORT=\(port) sbatch --parsable --nodes=1 --ntasks=2 "
                                   + "--cpus-per-task=1 --export=ALL \(extra) '\(root.path)/cluster/slurm/anasod-study.sbatch' study.yaml",
                                   in: folder).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(job) != nil else { throw Failure(message: "sbatch: \(job)") }
        return ((job, folder), port)
    }

    struct Failure: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// The job's state (`PENDING`, `RUNNING`, …), or nil once Slurm forgot it or it ended.
    static func state(_ job: String, _ folder: String) throws -> String? {
        let s = try slurmCommand("squeue -h -j \(job) -o %T", in: folder).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty || s.contains("Invalid job id") ? nil : s
    }

    /// Slurm's jobs are other processes: their output files are polled.
    static func waitUntil(timeout: Double, _ condition: () throws -> Bool) throws -> Bool {
        try eventually(timeout: timeout, every: 0.5, condition)
    }

    static func output(_ job: String, _ folder: String) -> String {
        (try? String(contentsOfFile: "\(folder)/anasod-\(job).out", encoding: .utf8)) ?? ""
    }

    /// Results in the saved journal, and how many times a job was evaluated again after it had a result
    /// (a second result, or a dispatch after the first).
    static func results(_ job: String, _ folder: String) throws -> (count: Int, repeated: Int) {
        let path = "\(folder)/runs/slurm-\(job).sqlite"
        func query(_ sql: String) throws -> Int {
            Int(try CommandRunner.shell("sqlite3 '\(path)' \"\(sql)\"").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let count = try query("SELECT COUNT(DISTINCT job) FROM record WHERE kind = 4")
        let again = try query("SELECT COUNT(*) FROM record d WHERE d.kind IN (2, 4) AND EXISTS "
                              + "(SELECT 1 FROM record r WHERE r.kind = 4 AND r.job = d.job AND r.seq < d.seq)")
        return (count, again)
    }

    @Test(.enabled(if: available, Comment(rawValue: missing ?? "")))
    func theBatchScriptFinishesAStudy() async throws {
        try await offPool {
            let (job, folder) = try Self.submit(budget: 20, seconds: 0.2)
            defer { _ = try? Self.slurmCommand("scancel \(job)", in: folder) }
            #expect(try Self.waitUntil(timeout: 120) { try Self.state(job, folder) == nil }, "job \(job) did not end")
            let out = Self.output(job, folder)
            #expect(out.contains("study slurm: 20/20 evaluated"), "\(out.suffix(1500))")
            #expect(out.contains("journal saved to"))
            let r = try Self.results(job, folder)
            #expect(r.count == 20 && r.repeated == 0)
        }
    }

    @Test(.enabled(if: available, Comment(rawValue: missing ?? "")))
    func aRequeuedJobResumesWithNothingLostOrRedone() async throws {
        try await offPool {
            let (job, folder) = try Self.submit(budget: 100, seconds: 0.3)
            defer { _ = try? Self.slurmCommand("scancel \(job)", in: folder) }
            // Requeued a few seconds into the study (about 20 of its 100 results in).
            #expect(try Self.waitUntil(timeout: 60) { Self.output(job, folder).contains("joined study") })
            Thread.sleep(forTimeInterval: 3)  // timing under test: the requeue comes a few seconds into the study
            _ = try Self.slurmCommand("scontrol requeue \(job)", in: folder)
            #expect(try Self.waitUntil(timeout: 60) { Self.output(job, folder).contains("journal saved to") })
            let saved = try Self.results(job, folder)
            #expect(saved.count > 0 && saved.count < 100, "\(saved.count) results saved at the requeue")
            // Slurm holds a requeued job back for a while: let it start now.
            _ = try Self.slurmCommand("scontrol update JobId=\(job) StartTime=now", in: folder)
            #expect(try Self.waitUntil(timeout: 180) { Self.output(job, folder).contains("study slurm: 100/100 evaluated") },
                    "\(Self.output(job, folder).suffix(1500))")
            #expect(try Self.waitUntil(timeout: 60) { try Self.state(job, folder) == nil })
            let out = Self.output(job, folder)
            #expect(out.contains("(restart 1)") && out.contains("resuming from") && out.contains("\(saved.count) results kept"))
            let r = try Self.results(job, folder)
            #expect(r.count == 100 && r.repeated == 0, "\(r.count) results, \(r.repeated) trained twice")
        }
    }

    @Test(.enabled(if: available, Comment(rawValue: missing ?? "")))
    func aTimeLimitDrainsSavesAndRequeues() async throws {
        try await offPool {
            // A minute of time, the warning 50 s before it: the signal comes within Slurm's check period.
            let (job, folder) = try Self.submit(budget: 2000, seconds: 0.5, extra: "--time=1 --signal=B:USR1@50")
            defer { _ = try? Self.slurmCommand("scancel \(job)", in: folder) }
            #expect(try Self.waitUntil(timeout: 120) { Self.output(job, folder).contains("time limit near") },
                    "no warning signal: \(Self.output(job, folder).suffix(1000))")
            #expect(try Self.waitUntil(timeout: 60) { Self.output(job, folder).contains("journal saved to") })
            let out = Self.output(job, folder)
            #expect(out.contains("finished: the coordinator was stopped"))
            #expect(try Self.waitUntil(timeout: 30) { try Self.state(job, folder) == "PENDING" }, "the job was not requeued")
            #expect(try Self.results(job, folder).count > 0)
        }
    }

    @Test(.enabled(if: available, Comment(rawValue: missing ?? "")))
    func aKilledWorkerTaskCostsNothing() async throws {
        try await offPool {
            let ((job, folder), port) = try Self.submitWithPort(budget: 40, seconds: 0.4)
            defer { _ = try? Self.slurmCommand("scancel \(job)", in: folder) }
            #expect(try Self.waitUntil(timeout: 60) { Self.output(job, folder).components(separatedBy: "joined study").count > 2 })
            // One of this job's two worker tasks (its coordinator's port in the command line; not srun, whose
            // command line starts otherwise), killed outright.
            let pids = try CommandRunner.shell("pgrep -f '^\(CommandRunner.executable.path) worker --connect tcp://[^ ]*:\(port) ' | head -n 1")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!pids.isEmpty)
            if let pid = Int32(pids) { kill(pid, SIGKILL) }
            #expect(try Self.waitUntil(timeout: 180) { try Self.state(job, folder) == nil })
            #expect(Self.output(job, folder).contains("study slurm: 40/40 evaluated"), "\(Self.output(job, folder).suffix(1500))")
            #expect(try Self.results(job, folder).repeated == 0)
        }
    }

    @Test(.enabled(if: available, Comment(rawValue: missing ?? "")))
    func theGPUWorkerArrayIsAValidJob() throws {
        let folder = FileManager.default.temporaryDirectory.path
        let script = "'\(Self.root.path)/cluster/slurm/anasod-gpu-workers.sbatch'"
        // This node has one (pretend) GPU and two cores: one task per GPU fits, three GPUs a task do not.
        let ok = try Self.slurmCommand("ANASOD_COORDINATOR=tcp://h:1 ANASOD_KEYS=/k sbatch --test-only --cpus-per-task=1 --array=0-1 \(script); echo rc=$?",
                                       in: folder)
        #expect(ok.contains("rc=0"), "\(ok)")
        let bad = try Self.slurmCommand("sbatch --test-only --cpus-per-task=1 --gpus-per-task=3 \(script); echo rc=$?", in: folder)
        #expect(bad.contains("rc=1"), "\(bad)")
    }
}
