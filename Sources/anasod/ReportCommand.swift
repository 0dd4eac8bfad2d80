import ArgumentParser
import Cluster
import Foundation
import Journal

/// `anasod report`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a study's report: one self-contained HTML page and its plots as SVG files.",
        discussion: """
        Reads the journal only, so it works on a finished study and on one still running. With several \
        --journal, the best-error plots compare all of them (e.g. one study per strategy); the other plots \
        describe the first.
        """)
    @Option(help: "A study's SQLite journal (repeatable: the first is described, all are compared).") var journal: [String]
    @Option(help: "Folder for report.html and the SVG files (created if needed).") var out = "report"

    func validate() throws {
        guard !journal.isEmpty else { throw ValidationError("name at least one --journal") }
        for path in journal where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("journal '\(path)' does not exist")
        }
    }

    func run() throws {
        let page = try ReportPage(journals: journal.map { try SQLiteJournal(path: $0) })
        let files = try page.write(to: URL(fileURLWithPath: out))
        let main = page.histories[0]
        print("report of study \(main.study): \(main.results.count) results, \(files.count - 1) plots")
        for file in files { print("  \(file.path)") }
    }
}
