import ANASOD
import ArgumentParser
import Evaluation
import Search

/// `anasod bench --runs … --constraint params<=p25` (issue 30): limits on what the runs table knows of every cell
/// before training (its size and latency), which strategies keep to.
extension BenchSearch {
    /// The measures the runs table gives, in the units a constraint names: `params` (parameters, counted),
    /// `latency_ms` (milliseconds).
    static func runsMeasures(_ table: NB201Runs) -> [String: [Double]] {
        ["params": table.parametersMB.map { $0 * 1e6 }, "latency_ms": table.latency.map { $0 * 1000 }]
    }

    /// The `--constraint` flags as feasibility over the runs table; a bound `pNN` is that percentile of the
    /// measure over the whole space (`params<=p25`: the smallest quarter of the cells).
    func runsFeasibility(_ table: NB201Runs) throws -> Feasibility {
        guard !constraint.isEmpty else { return .unconstrained }
        let values = Self.runsMeasures(table)
        let space = NB201Runs.space
        var parsed = [Constraint]()
        for text in constraint {
            var written = text
            // A percentile bound (`p25`): replaced by that value of the measure before parsing.
            if let at = text.firstIndex(where: { "<>≤≥".contains($0) }) {
                let relation = text[at...].prefix(while: { "<>≤≥=".contains($0) })
                let bound = text[at...].dropFirst(relation.count).trimmingCharacters(in: .whitespaces)
                if bound.hasPrefix("p") {
                    let measure = text[..<at].trimmingCharacters(in: .whitespaces)
                    guard let column = values[measure] else {
                        throw ValidationError("--constraint '\(text)': the runs table knows \(values.keys.sorted().joined(separator: ", ")), "
                                              + "not '\(measure)'")
                    }
                    guard let q = Double(bound.dropFirst()), q >= 0, q <= 100 else {
                        throw ValidationError("--constraint '\(text)': a percentile bound is p0 … p100")
                    }
                    let sorted = column.sorted()
                    written = "\(measure)\(relation)\(sorted[min(sorted.count - 1, Int(q / 100 * Double(sorted.count)))])"
                }
            }
            do {
                parsed.append(try Constraint.parse(written))
            } catch let error as SearchError {
                throw ValidationError("--constraint: \(error.message)")
            }
        }
        // Each measure's range over the cells of each encoding: what rules whole encodings out.
        var measures = [String: Feasibility.Measure]()
        for (name, column) in values {
            var ranges = [[[Int]]: ClosedRange<Double>]()
            for index in 0..<NB201SearchSpace.cellCount {
                let counts = space.counts(of: space.architecture(at: index))
                let v = column[index]
                if let r = ranges[counts] {
                    ranges[counts] = min(r.lowerBound, v)...max(r.upperBound, v)
                } else {
                    ranges[counts] = v...v
                }
            }
            let byCounts = ranges
            measures[name] = Feasibility.Measure(value: { column[space.index(of: $0)] }, range: { byCounts[$0] })
        }
        do {
            return try Feasibility(constraints: parsed, measures: measures)
        } catch let error as SearchError {
            throw ValidationError("--constraint: \(error.message)")
        }
    }
}
