import Foundation
import TestSupport
import Testing

/// What `anasod search` prints as a user sees it: under a pseudo-terminal (util-linux `script`) one
/// progress line redrawn in place; into a pipe, log lines for events and a periodic summary, never a
/// terminal control sequence.
@Suite(.serialized) struct TerminalOutputTests {
    static let script: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/script") ? "/usr/bin/script" : nil

    static func config(_ group: ProcessGroup) throws -> String {
        let path = group.directory.appendingPathComponent("study.yaml").path
        try """
        study: terminal
        space: nb201
        strategy: rs
        budget: 16
        evaluator:
          kind: synthetic
          seconds: 0.3
        journal: \(group.directory.path)/terminal.sqlite
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: script != nil, "util-linux `script` (a pseudo-terminal) is not installed"))
    func aTerminalGetsOneLineRedrawnInPlace() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let config = try Self.config(group)
            let command = "COLUMNS=120 '\(CommandRunner.executable.path)' search --config '\(config)' --workers 2 --dashboard off"
            let typescript = group.directory.appendingPathComponent("typescript").path
            let out = try CommandRunner.shell("\(Self.script!) -qefc \"\(command)\" '\(typescript)' > /dev/null 2>&1; cat '\(typescript)'")
            // The bar is redrawn in place (carriage return, erase line) and ends complete.
            let redraws = out.components(separatedBy: "\r\u{1B}[K[").count - 1
            #expect(redraws >= 3, "\(redraws) redraws in:\n\(out.suffix(2000))")
            #expect(out.contains("] 16/16 100%"))
            #expect(out.contains("2 workers"))
            // The periodic summary is for pipes only: a terminal gets the closing one.
            #expect(out.components(separatedBy: "evaluated ·").count - 1 <= 1)
        }
    }

    @Test func aPipeGetsEventsAndSummariesWithoutControlSequences() async throws {
        try await offPool {
            let group = try ProcessGroup()
            let config = try Self.config(group)
            let run = try CommandRunner.run(["search", "--config", config, "--workers", "2", "--summary-interval", "1",
                                             "--dashboard", "off"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("\u{1B}["), "a pipe got terminal control sequences")
            #expect(run.stderr.contains("new best"))
            #expect(run.stderr.components(separatedBy: "evaluated ·").count - 1 >= 2, "no periodic summary line")
            #expect(run.stderr.contains("16/16 evaluated"))
        }
    }
}
