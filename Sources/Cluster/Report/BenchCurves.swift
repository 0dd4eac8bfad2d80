import Foundation
import Search

/// The curves that `anasod bench --runs --csv FILE` writes (issue 26), read back for `anasod report
/// --bench-curves`: one row per finished evaluation of each run (`NoisyRunsReport.csvHeader`), grouped into
/// runs by (strategy, seed, workers). Every run's rows count evaluations 1, 2, … in order, with GPU-seconds
/// and simulated time that never go back; a run is in one file only. Anything else is a `ClusterError`
/// naming the file, the line and the column.
public struct BenchCurves: Sendable {
    public struct Point: Sendable, Equatable {
        public var evaluation: Int
        /// Simulated wall-clock seconds (W workers).
        public var time: Double
        /// GPU seconds spent so far.
        public var gpuSeconds: Double
        /// The best validation error seen so far (%): the paper's metric.
        public var bestSeen: Double
        /// The true mean validation error of the cell the strategy recommends now (%): the honest metric.
        public var recommendedTrueError: Double
    }

    public struct Run: Sendable {
        public var strategy: String
        public var seed: UInt64
        public var workers: Int
        /// The file the run came from, as it was named.
        public var file: String
        public var points: [Point]
    }

    /// The files read, in order.
    public let files: [String]
    /// The runs, in the order of their first row.
    public let runs: [Run]

    /// The columns, in order.
    public static let columns = NoisyRunsReport.csvHeader.split(separator: ",").map(String.init)

    /// The runs of `files`' texts, each named by the path a user gave.
    /// - Throws: `ClusterError(.invalidConfiguration)` naming the file, line and column of the first problem.
    public init(files: [(name: String, text: String)]) throws {
        var runs = [Run]()
        var index = [RunKey: Int]()
        for (name, text) in files {
            for (key, line, point) in try Self.rows(text, file: name) {
                func fail(_ column: String, _ message: String) -> ClusterError {
                    let at = Self.columns.firstIndex(of: column)! + 1
                    return ClusterError(
                        .invalidConfiguration, "\(name) line \(line), column \(at) (\(column)): \(message)")
                }
                guard let i = index[key] else {
                    guard point.evaluation == 1 else {
                        throw fail("evaluation", "run \(key) starts at evaluation \(point.evaluation), not 1")
                    }
                    index[key] = runs.count
                    runs.append(
                        Run(strategy: key.strategy, seed: key.seed, workers: key.workers, file: name, points: [point]))
                    continue
                }
                guard runs[i].file == name else {
                    throw fail("strategy", "run \(key) is also in \(runs[i].file) (one file per run)")
                }
                let last = runs[i].points[runs[i].points.count - 1]
                guard point.evaluation == last.evaluation + 1 else {
                    throw fail(
                        "evaluation",
                        "run \(key): evaluation \(point.evaluation) after \(last.evaluation) "
                            + "(rows of a run count 1, 2, … in order)")
                }
                guard point.gpuSeconds >= last.gpuSeconds else {
                    throw fail(
                        "gpu_seconds",
                        "run \(key): \(point.gpuSeconds) is less than the \(last.gpuSeconds) before it "
                            + "(GPU-seconds are cumulative)")
                }
                guard point.time >= last.time else {
                    throw fail(
                        "time",
                        "run \(key): \(point.time) is earlier than the \(last.time) before it "
                            + "(rows are in the order evaluations finish)")
                }
                runs[i].points.append(point)
            }
        }
        self.files = files.map(\.name)
        self.runs = runs
    }

    /// The runs of the files at `paths`.
    /// - Throws: `ClusterError(.invalidConfiguration)` when a file cannot be read or is not such a CSV file.
    public init(paths: [String]) throws {
        var files = [(name: String, text: String)]()
        for path in paths {
            do {
                files.append((path, try String(contentsOfFile: path, encoding: .utf8)))
            } catch {
                throw ClusterError(
                    .invalidConfiguration, "cannot read the bench curves '\(path)': \(error.localizedDescription)")
            }
        }
        try self.init(files: files)
    }

    struct RunKey: Hashable, CustomStringConvertible {
        var strategy: String, seed: UInt64, workers: Int
        var description: String { "(\(strategy), seed \(seed), \(workers) worker\(workers == 1 ? "" : "s"))" }
    }

    /// The data rows of one file, checked one by one.
    static func rows(_ text: String, file: String) throws -> [(RunKey, Int, Point)] {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(text)
        } catch let problem as CSVReader.Problem {
            throw ClusterError(.invalidConfiguration, "\(file) \(problem)")
        }
        let expected = NoisyRunsReport.csvHeader
        guard let header = records.first else {
            throw ClusterError(
                .invalidConfiguration,
                "\(file) is empty: expected the header \(expected) "
                    + "(what anasod bench --runs --csv writes)")
        }
        guard header.fields == columns else {
            let found = header.fields.joined(separator: ",")
            throw ClusterError(
                .invalidConfiguration,
                "\(file) line \(header.line): expected the header \(expected) "
                    + "(what anasod bench --runs --csv writes), found \(found.prefix(200))")
        }
        guard records.count > 1 else {
            throw ClusterError(
                .invalidConfiguration, "\(file) has the header but no rows: no run finished an evaluation")
        }
        return try records.dropFirst().map { record in
            let line = record.line
            func fail(_ column: Int, _ message: String) -> ClusterError {
                ClusterError(
                    .invalidConfiguration, "\(file) line \(line), column \(column + 1) (\(columns[column])): \(message)"
                )
            }
            guard record.fields.count == columns.count else {
                throw ClusterError(
                    .invalidConfiguration,
                    "\(file) line \(line): \(record.fields.count) field(s), expected "
                        + "\(columns.count) (\(expected)); a strategy with a comma is written in double quotes")
            }
            let f = record.fields
            func integer(_ column: Int, atLeast minimum: Int) throws -> Int {
                guard let value = Int(f[column]), value >= minimum else {
                    throw fail(column, "'\(f[column].prefix(40))' is not a whole number ≥ \(minimum)")
                }
                return value
            }
            // Errors are percentages; seconds stop at 10¹² (30,000 years): beyond, a mean over runs overflows.
            func number(_ column: Int, atMost limit: Double) throws -> Double {
                guard let value = Double(f[column]), value.isFinite, value >= 0, value <= limit else {
                    throw fail(column, "'\(f[column].prefix(40))' is not a number in 0…\(limit == 100 ? "100" : "1e12")")
                }
                return value
            }
            guard !f[0].isEmpty else { throw fail(0, "the strategy is empty") }
            guard let seed = UInt64(f[1]) else {
                throw fail(1, "'\(f[1].prefix(40))' is not a seed (a whole number ≥ 0)")
            }
            let key = RunKey(strategy: f[0], seed: seed, workers: try integer(2, atLeast: 1))
            let point = Point(
                evaluation: try integer(3, atLeast: 1), time: try number(4, atMost: 1e12),
                gpuSeconds: try number(5, atMost: 1e12), bestSeen: try number(6, atMost: 100),
                recommendedTrueError: try number(7, atMost: 100))
            return (key, line, point)
        }
    }
}
