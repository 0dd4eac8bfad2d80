import ArgumentParser
import Cluster
import Evaluation
import Foundation
import Journal

/// `anasod analyze`: the paper's Table 1 on an NB201 table, or on the cells studies trained (`--journal`).
struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How much of a cell's error its operation distribution explains (the paper's Table 1).")

    @Option(name: .long, help: "An NB201 CSV file, or a data-set name (cifar10, cifar100) looked up in --nb201-dir.")
    var table: String = "cifar10"

    @Option(name: .customLong("nb201-dir"),
            help: "Folder of the NB201 CSV files (default: $ANASOD_NB201_DIR, else ../shared/data/nb201).")
    var nb201Dir: String?

    @Option(name: .long, help: "Write every encoding's statistics as CSV to this file ('-' for standard output).")
    var csv: String?

    @Option(name: .long, help: "How many of the best encodings to list.")
    var top: Int = 10

    @Option(name: .long, help: ArgumentHelp("Analyse the results in these studies' journals instead of a table (repeatable): "
                                            + "SDs overall, within an encoding, and over training seeds for cells that several journals trained.",
                                            valueName: "journal"))
    var journal: [String] = []

    func run() async throws {
        if !journal.isEmpty { return try analyzeJournals() }
        let path = NB201Table.resolve(table, directory: nb201Dir)
        let loaded = try NB201Table.load(path: path)
        let analysis = EncodingAnalysis(table: loaded)
        let paper: (Double, Double, Double)? = switch URL(fileURLWithPath: path).lastPathComponent {
        case "cifar10.csv": (9.5, 1.2, 0.84)
        case "cifar100.csv": (14, 2.4, 1.4)
        default: nil
        }
        if csv == "-" {
            print(analysis.csv(), terminator: "")
            return
        }
        print("NB201 table: \(path)\n")
        print(analysis.summaryMarkdown(title: URL(fileURLWithPath: path).lastPathComponent, paper: paper))
        print("Best \(min(top, analysis.groups.count)) encodings by mean error:\n")
        print(analysis.encodingsMarkdown(top: max(0, top)))
        if let csv {
            do {
                try analysis.csv().write(toFile: csv, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(csv)': \(error.localizedDescription)")
            }
            print("Per-encoding statistics written to \(csv)")
        }
    }
}

extension Analyze {
    func analyzeJournals() throws {
        var reports = [StudyReport]()
        for path in journal {
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("journal '\(path)' does not exist") }
            reports.append(try StudyReport(journal: try SQLiteJournal(path: path)))
        }
        let analysis = try JournalEncodingAnalysis(reports: reports)
        guard analysis.results > 0 else { throw ValidationError("the journals hold no successful result") }
        print("Journals: \(journal.joined(separator: ", "))\n")
        print(analysis.markdown())
    }
}
