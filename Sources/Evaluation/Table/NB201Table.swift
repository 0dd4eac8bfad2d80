import ANASOD
import Foundation

/// The NAS-Bench-201 table: the error of all 15,625 cells on one data set, read from a CSV file with a
/// header naming the columns `arch` and `test_accuracy` (percent), one row per cell, e.g. the files in
/// `../shared/data/nb201/`.
///
/// Loading is strict: a malformed row, an unknown cell, an accuracy outside 0…100, a duplicate cell or
/// a missing cell is an `EvaluationError` naming the file and line.
public struct NB201Table: Sendable {
    /// Where the table came from (for messages).
    public let source: String
    /// Error in percent (100 − test accuracy), indexed by `NB201SearchSpace.index(of:)`.
    public let errors: [Double]

    public static let space = NB201SearchSpace()

    /// The environment variable naming the directory of the NB201 CSV files.
    public static let directoryVariable = "ANASOD_NB201_DIR"
    /// The directory used when neither a path nor `ANASOD_NB201_DIR` is given: the shared data folder
    /// beside the project's checkout.
    public static let defaultDirectory = "../shared/data/nb201"

    /// Resolves a table argument: an existing file path is used as is; a bare data-set name (`cifar10`,
    /// `cifar100`) is looked up as `NAME.csv` in `directory`, else `$ANASOD_NB201_DIR`, else
    /// `defaultDirectory`.
    public static func resolve(_ table: String, directory: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if table.contains("/") || table.hasSuffix(".csv") { return table }
        let dir = directory ?? environment[directoryVariable] ?? defaultDirectory
        return (dir as NSString).appendingPathComponent(table + ".csv")
    }

    /// The table of the data set a job names, on a worker: `NAME.csv` (a name that ends in `.csv`: itself)
    /// inside the worker's own table folder (`directory`, else `$ANASOD_NB201_DIR`, else `defaultDirectory`).
    /// A job names a data set, never a path: a name that is not plain (`/`, a leading `.`, other characters)
    /// is refused, so a table is only ever read from the folder the worker was given.
    /// - Throws: `EvaluationError.invalidSettings` (class `configuration`) naming the data set.
    public static func resolve(dataset name: String, directory: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let problem = EvaluationSettings.datasetNameProblem(name) {
            throw EvaluationError(.invalidSettings, "'evaluator.dataset: \(name.prefix(200))' \(problem)")
        }
        let dir = directory ?? environment[directoryVariable] ?? defaultDirectory
        return (dir as NSString).appendingPathComponent(name.hasSuffix(".csv") ? name : name + ".csv")
    }

    /// Loads and validates the table at `path`.
    /// - Throws: `EvaluationError` (`.fileUnreadable`, `.malformedTable`) naming the file and line.
    public static func load(path: String) throws -> NB201Table {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EvaluationError(.fileUnreadable,
                                  "NB201 table '\(path)' does not exist (give a path, or set \(directoryVariable) to the folder holding cifar10.csv)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EvaluationError(.fileUnreadable, "cannot read NB201 table '\(path)': \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvaluationError(.malformedTable, "\(path): not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    /// Parses the CSV text of a table; `source` names it in error messages.
    public static func parse(_ text: String, source: String) throws -> NB201Table {
        // "\r\n" is one Character in Swift: split on every line ending.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw EvaluationError(.malformedTable, "\(source): the file is empty (expected a header 'arch,test_accuracy')")
        }
        let header = headerLine.split(separator: ",").map { $0.trimmingSpaces() }
        guard let archColumn = header.firstIndex(of: "arch"), let accuracyColumn = header.firstIndex(of: "test_accuracy") else {
            throw EvaluationError(.malformedTable,
                                  "\(source):1: the header must name the columns 'arch' and 'test_accuracy', got '\(headerLine.prefix(80))'")
        }
        var errors = [Double](repeating: .nan, count: NB201SearchSpace.cellCount)
        var firstLine = [Int](repeating: 0, count: NB201SearchSpace.cellCount)
        for (offset, rawLine) in lines.enumerated().dropFirst() {
            let lineNumber = offset + 1
            let line = rawLine
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else {
                throw EvaluationError(.malformedTable,
                                      "\(source):\(lineNumber): expected \(header.count) fields, found \(fields.count) (truncated or malformed row '\(line.prefix(120))')")
            }
            let arch: Architecture
            do {
                arch = try space.parse(fields[archColumn].trimmingSpaces())
            } catch let error as ANASODError {
                throw EvaluationError(.malformedTable, "\(source):\(lineNumber): \(error.message)")
            }
            guard let accuracy = Double(fields[accuracyColumn].trimmingSpaces()), accuracy.isFinite,
                  (0...100).contains(accuracy) else {
                throw EvaluationError(.malformedTable,
                                      "\(source):\(lineNumber): test_accuracy '\(fields[accuracyColumn])' is not a percentage in 0...100")
            }
            let index = space.index(of: arch)
            guard firstLine[index] == 0 else {
                throw EvaluationError(.malformedTable,
                                      "\(source):\(lineNumber): duplicate cell \(space.format(arch)) (first on line \(firstLine[index]))")
            }
            firstLine[index] = lineNumber
            errors[index] = 100 - accuracy
        }
        let missing = firstLine.indices.filter { firstLine[$0] == 0 }
        if let first = missing.first {
            throw EvaluationError(.malformedTable,
                                  "\(source): \(missing.count) of \(NB201SearchSpace.cellCount) cells are missing (truncated file?), e.g. \(space.format(space.architecture(at: first)))")
        }
        return NB201Table(source: source, errors: errors)
    }

    /// The error of a cell, in percent.
    public func error(of architecture: Architecture) -> Double {
        errors[Self.space.index(of: architecture)]
    }

    /// The best cell's index and error.
    public var optimum: (index: Int, error: Double) {
        var best = 0
        for i in errors.indices where errors[i] < errors[best] { best = i }
        return (best, errors[best])
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
