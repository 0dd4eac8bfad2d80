import Foundation
import Testing

/// The shipped systemd units: `systemd-analyze verify` accepts them without a word (unknown keys are only
/// warnings there, so any output fails), they are hardened, and the coordinator's unit does not restart a
/// study that stopped for good — the status `anasod` exits with then.
@Suite struct SystemdUnitTests {
    static let analyze: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") ? "/usr/bin/systemd-analyze" : nil
    static let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("cluster/systemd")

    @Test(.enabled(if: analyze != nil, "systemd-analyze is not installed (Debian's systemd package)"),
          arguments: ["anasod-coordinator.service", "anasod-worker@.service"])
    func unitsVerifyCleanAndAreHardened(unit: String) throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent(unit), encoding: .utf8)
        for key in ["User=anasod", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "CapabilityBoundingSet=",
                    "--keys /etc/anasod/keys"] {
            #expect(text.contains(key), "\(unit) lacks \(key)")
        }
        // verify needs the binary the unit starts: this build's, in a copy of the unit.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent(unit.replacingOccurrences(of: "@.", with: "@1."))
        try text.replacingOccurrences(of: "/opt/anasod/bin/anasod", with: CommandRunner.executable.path)
            .write(to: copy, atomically: true, encoding: .utf8)
        let output = try CommandRunner.shell("'\(Self.analyze!)' verify '\(copy.path)' 2>&1; echo \"rc=$?\"")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "rc=0", "systemd-analyze verify \(unit):\n\(output)")
    }

    @Test func aStudyStoppedForGoodExitsWithTheStatusTheUnitDoesNotRestart() throws {
        let unit = try String(contentsOf: Self.units.appendingPathComponent("anasod-coordinator.service"), encoding: .utf8)
        #expect(unit.contains("Restart=on-failure") && unit.contains("RestartPreventExitStatus=3") && unit.contains("--resume"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stopped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("study.yaml").path
        try """
        study: doomed
        space: nb201
        strategy: rs
        budget: 10
        evaluator:
          kind: synthetic
          fail_rate: 1
        jobs:
          max_attempts: 1
          max_consecutive_failures: 3
        journal: \(folder.path)/doomed.sqlite
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let first = try CommandRunner.run(["search", "--config", config, "--workers", "1", "--dashboard", "off"])
        #expect(first.status == 3, "stdout: \(first.stdout)\nstderr: \(first.stderr.suffix(800))")
        // What a restart with --resume would do: refuse again, with the same status (no restart loop).
        let again = try CommandRunner.run(["search", "--config", config, "--workers", "1", "--dashboard", "off", "--resume"])
        #expect(again.status == 3 && again.stderr.contains("--continue-after-failures"), "\(again.stderr.suffix(800))")
    }
}
