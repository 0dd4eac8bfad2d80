import ArgumentParser
import Cluster
import Foundation
import Journal

/// `anasod export`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a study's results as CSV or JSON.")
    @Option(help: "The study's SQLite journal.") var journal: String
    @Option(help: "csv or json.") var format = "csv"
    @Option(help: "Output file (default: standard output).") var output: String?

    func run() throws {
        guard ["csv", "json"].contains(format) else { throw ValidationError("--format must be csv or json") }
        guard FileManager.default.fileExists(atPath: journal) else { throw ValidationError("journal '\(journal)' does not exist") }
        let report = try StudyReport(journal: try SQLiteJournal(path: journal))
        let text = format == "csv" ? report.csv() : try report.json() + "\n"
        if let output {
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(output)': \(error.localizedDescription)")
            }
        } else {
            print(text, terminator: "")
        }
    }
}
