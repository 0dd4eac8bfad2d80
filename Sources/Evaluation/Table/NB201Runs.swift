import ANASOD
import Foundation

/// NAS-Bench-201's per-seed runs (`../shared/data/nb201-runs/`, its README): for every cell, the validation
/// error of each training seed's 200-epoch run (2–3 a cell), the GPU seconds that training took, the
/// latency and the size. An evaluation drawn from it is one noisy training run, as a real cluster pays for
/// it (the paper's Table 2 metric; Figure 3's GPU-seconds).
public struct NB201Runs: Sendable {
    public let source: String
    /// Validation error in percent of each run, indexed by `NB201SearchSpace.index(of:)`.
    public let errors: [[Double]]
    /// GPU seconds of one 200-epoch training, by cell index.
    public let seconds: [Double]
    public let latency: [Double]
    public let parametersMB: [Double]

    public static let space = NB201SearchSpace()
    /// Where a bare task name (`cifar10-valid`, `cifar100`) is looked up without `--runs-dir`.
    public static let directoryVariable = "ANASOD_NB201_RUNS_DIR"
    public static let defaultDirectory = "../shared/data/nb201-runs"

    /// A path as is; a bare name as `NAME.csv` in `directory`, else `$ANASOD_NB201_RUNS_DIR`, else the default.
    public static func resolve(_ runs: String, directory: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if runs.contains("/") || runs.hasSuffix(".csv") { return runs }
        let dir = directory ?? environment[directoryVariable] ?? defaultDirectory
        return (dir as NSString).appendingPathComponent(runs + ".csv")
    }

    /// The mean validation error over a cell's runs (the "true" value a careful user would estimate).
    public func meanError(of architecture: Architecture) -> Double { mean[Self.space.index(of: architecture)] }
    public let mean: [Double]

    /// Run `attempt` (0, 1, …) of a cell in the benchmark run of `seed`: one of the cell's runs drawn
    /// uniformly, deterministically in (seed, cell, attempt) — the same cell trained again draws again.
    public func draw(_ architecture: Architecture, seed: UInt64, attempt: Int) -> (error: Double, seconds: Double) {
        let index = Self.space.index(of: architecture)
        var z = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9 &+ UInt64(truncatingIfNeeded: attempt) &* 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let runs = errors[index]
        return (runs[Int(z % UInt64(runs.count))], seconds[index])
    }

    /// Loads and validates the runs at `path`.
    /// - Throws: `EvaluationError` (`.fileUnreadable`, `.malformedTable`) naming the file and line.
    public static func load(path: String) throws -> NB201Runs {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EvaluationError(.fileUnreadable, "NB201 runs '\(path)' do not exist (give a path, or set \(directoryVariable) "
                                  + "to the folder holding cifar10-valid.csv)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvaluationError(.fileUnreadable, "cannot read NB201 runs '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw EvaluationError(.malformedTable, "\(path): not UTF-8 text") }
        return try parse(text, source: path)
    }

    /// Parses the CSV text (`arch,val_accuracy_runs,train_seconds,latency_seconds,params_mb`, runs separated
    /// by `;`); every one of the 15,625 cells exactly once.
    public static func parse(_ text: String, source: String) throws -> NB201Runs {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let expected = ["arch", "val_accuracy_runs", "train_seconds", "latency_seconds", "params_mb"]
        guard let headerLine = lines.first else {
            throw EvaluationError(.malformedTable, "\(source): the file is empty (expected a header '\(expected.joined(separator: ","))')")
        }
        let header = headerLine.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let columns = expected.map { header.firstIndex(of: $0) }
        guard columns.allSatisfy({ $0 != nil }) else {
            throw EvaluationError(.malformedTable, "\(source):1: the header must name the columns \(expected.joined(separator: ", ")), "
                                  + "got '\(headerLine.prefix(120))'")
        }
        let count = NB201SearchSpace.cellCount
        var errors = [[Double]](repeating: [], count: count)
        var seconds = [Double](repeating: .nan, count: count), latency = seconds, size = seconds
        var firstLine = [Int](repeating: 0, count: count)
        for (offset, line) in lines.enumerated().dropFirst() {
            let number = offset + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == header.count else {
                throw EvaluationError(.malformedTable, "\(source):\(number): expected \(header.count) fields, found \(fields.count) "
                                      + "(truncated or malformed row '\(line.prefix(120))')")
            }
            let arch: Architecture
            do {
                arch = try space.parse(fields[columns[0]!])
            } catch let error as ANASODError {
                throw EvaluationError(.malformedTable, "\(source):\(number): \(error.message)")
            }
            let runs = fields[columns[1]!].split(separator: ";").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !runs.isEmpty, runs.count <= 16, runs.allSatisfy({ $0.map { $0.isFinite && (0...100).contains($0) } ?? false }) else {
                throw EvaluationError(.malformedTable, "\(source):\(number): val_accuracy_runs '\(fields[columns[1]!].prefix(80))' "
                                      + "is not 1–16 percentages in 0…100 separated by ';'")
            }
            func value(_ column: Int, _ name: String) throws -> Double {
                guard let v = Double(fields[column]), v.isFinite, v >= 0 else {
                    throw EvaluationError(.malformedTable, "\(source):\(number): \(name) '\(fields[column].prefix(40))' is not a number ≥ 0")
                }
                return v
            }
            let index = space.index(of: arch)
            guard firstLine[index] == 0 else {
                throw EvaluationError(.malformedTable, "\(source):\(number): duplicate cell \(space.format(arch)) (first on line \(firstLine[index]))")
            }
            firstLine[index] = number
            errors[index] = runs.map { 100 - $0! }
            seconds[index] = try value(columns[2]!, "train_seconds")
            latency[index] = try value(columns[3]!, "latency_seconds")
            size[index] = try value(columns[4]!, "params_mb")
        }
        if let first = firstLine.firstIndex(of: 0) {
            let missing = firstLine.count { $0 == 0 }
            throw EvaluationError(.malformedTable, "\(source): \(missing) of \(count) cells are missing (truncated file?), e.g. "
                                  + space.format(space.architecture(at: first)))
        }
        return NB201Runs(source: source, errors: errors, seconds: seconds, latency: latency, parametersMB: size,
                         mean: errors.map { $0.reduce(0, +) / Double($0.count) })
    }
}
