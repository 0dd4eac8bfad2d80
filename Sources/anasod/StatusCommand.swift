import ArgumentParser
import Dashboard
import Foundation

/// `anasod status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a study's progress: live from its coordinator, else from its journal.",
        discussion: """
        A coordinator with a dashboard records its address beside the journal (JOURNAL.dashboard); status asks \
        it for the live state (workers, jobs in flight and their epochs) and falls back to the journal when \
        there is none or it does not answer.
        """)
    @Option(help: "The study's SQLite journal.") var journal: String
    @Option(help: "The dashboard to ask (its address as the coordinator printed it; default: the one recorded beside the journal).")
    var dashboard: String?
    @Flag(help: "Refresh every --interval seconds (in place on a terminal) until the study finishes or Ctrl-C.") var watch = false
    @Option(help: "Seconds between refreshes with --watch.") var interval: Double = 2

    func validate() throws {
        guard interval >= 0.2 else { throw ValidationError("--interval must be at least 0.2 s") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: journal) else { throw ValidationError("journal '\(journal)' does not exist") }
        let terminal = isatty(STDOUT_FILENO) == 1
        while true {
            let view = try await StudyStatus.snapshot(journal: journal, dashboard: dashboard)
            if watch && terminal { print("\u{1B}[H\u{1B}[2J", terminator: "") }  // redraw in place
            print(view.lines.joined(separator: "\n"))
            if !watch || view.finished { return }
            if !terminal { print("") }
            // --watch refreshes every --interval seconds: the wait is the user's period itself.
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
