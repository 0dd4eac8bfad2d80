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
        var measures = [String: Feasibility.Measure]()
        for (name, column) in values where !measuredNames.contains(name) { measures[name] = Self.runsMeasure(column) }
        do {
            return try Feasibility(constraints: parsed, measures: measures, measuredInEvaluation: measuredNames)
                .counting((0..<NB201SearchSpace.cellCount).lazy.map(NB201Runs.space.architecture(at:)), space: NB201Runs.space)
        } catch let error as SearchError {
            throw ValidationError("--constraint: \(error.message)")
        }
    }

    /// `--measured latency_ms`: measures of the runs table that strategies learn only from results, as a worker
    /// measures a cell's latency after training it.
    var measuredNames: Set<String> {
        Set((measured ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// The measures each simulated result carries (`--measured`).
    /// - Throws: `ValidationError` naming a measure the runs table does not know.
    func runsMeasuredInEvaluation(_ table: NB201Runs) throws -> [String: Feasibility.Measure] {
        let values = Self.runsMeasures(table)
        var out = [String: Feasibility.Measure]()
        for name in measuredNames {
            guard let column = values[name] else {
                throw ValidationError("--measured: the runs table knows \(values.keys.sorted().joined(separator: ", ")), not '\(name)'")
            }
            out[name] = Self.runsMeasure(column)
        }
        return out
    }

    /// A column of the runs table as a measure, with its range over the cells of each encoding (what rules whole
    /// encodings out).
    static func runsMeasure(_ column: [Double]) -> Feasibility.Measure {
        let space = NB201Runs.space
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
        return Feasibility.Measure(value: { column[space.index(of: $0)] }, range: { byCounts[$0] })
    }

    /// `--objectives val_error,latency_ms`: the objectives after the validation error, and the hypervolume's
    /// ideal and reference points (the error: the lowest single run and the space's median true error; a
    /// measure: its least and greatest value over the space).
    func runsObjectives(_ table: NB201Runs, medianTrueError: Double) throws
        -> (objectives: [(name: String, measure: Feasibility.Measure)], ideal: [Double], reference: [Double])? {
        guard let objectives else { return nil }
        let names = objectives.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = Self.runsMeasures(table)
        guard names.count >= 2, names[0] == "val_error" else {
            throw ValidationError("--objectives starts with val_error and names one more at least, e.g. val_error,latency_ms")
        }
        var out = [(name: String, measure: Feasibility.Measure)]()
        var ideal = [table.errors.joined().min() ?? 0], reference = [medianTrueError]
        for name in names.dropFirst() {
            guard let column = values[name] else {
                throw ValidationError("--objectives: the runs table knows \(values.keys.sorted().joined(separator: ", ")), not '\(name)'")
            }
            guard !out.contains(where: { $0.name == name }) else { throw ValidationError("--objectives names '\(name)' twice") }
            out.append((name, Self.runsMeasure(column)))
            ideal.append(column.min()!)
            reference.append(column.max()!)
        }
        return (out, ideal, reference)
    }
}
