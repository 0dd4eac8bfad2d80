import ArgumentParser
import Evaluation
import Foundation

/// `anasod analyze`: the paper's Table 1 on an NB201 table.
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

    func run() async throws {
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
