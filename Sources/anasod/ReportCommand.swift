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
            describe the first. --bench-curves adds the curves of `anasod bench --runs --csv FILE` (the paper's \
            Figure 3: error against GPU-seconds, and against wall-clock time for W > 1 workers); with no --journal, \
            the report is only those.
            """)
    @Option(help: "A study's SQLite journal (repeatable: the first is described, all are compared).")
    var journal: [String] = []
    @Option(help: ArgumentHelp("A CSV file of `anasod bench --runs --csv` to plot (repeatable).", valueName: "FILE"))
    var benchCurves: [String] = []
    @Option(help: "Folder for report.html and the SVG files (created if needed).") var out = "report"

    func validate() throws {
        guard !journal.isEmpty || !benchCurves.isEmpty else {
            throw ValidationError("name at least one --journal or --bench-curves")
        }
        for path in journal where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("journal '\(path)' does not exist")
        }
        for path in benchCurves where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("bench curves '\(path)' do not exist")
        }
    }

    func run() throws {
        let curves = benchCurves.isEmpty ? nil : try BenchCurves(paths: benchCurves)
        let page = try ReportPage(journals: journal.map { try SQLiteJournal(path: $0) }, benchCurves: curves)
        let files = try page.write(to: URL(fileURLWithPath: out))
        if let main = page.histories.first {
            print("report of study \(main.study): \(main.results.count) results, \(files.count - 1) plots")
        } else if let curves {
            print(
                "report of \(curves.runs.count) benchmark runs (\(curves.groups.count) curves): "
                    + "\(files.count - 1) plots"
            )
        }
        for file in files { print("  \(file.path)") }
    }
}
