import ANASOD
import Foundation

/// A set of learning curves: for each cell, its validation error after each epoch (issue 28). Read from the
/// NB201 curves CSV (`../shared/data/nb201-curves/`: `arch_index, arch_str, val_acc_e1 … val_acc_eN`, accuracies
/// in percent) or built from a study's journal (`anasod bench --curves JOURNAL`), it replays early stopping on
/// genuine curves: a cell's epochs arrive one by one, as a worker streams them.
public struct LearningCurves: Sendable {
    public typealias Curve = LearningCurve

    public let source: String
    public let curves: [Curve]
    /// The training length: every curve has this many epochs.
    public let epochs: Int

    public init(source: String, curves: [Curve]) throws {
        guard let first = curves.first else { throw EvaluationError(.malformedTable, "\(source): no learning curves") }
        let epochs = first.errors.count
        for (i, c) in curves.enumerated() {
            guard c.errors.count == epochs else {
                throw EvaluationError(.malformedTable, "\(source): curve \(i + 1) has \(c.errors.count) epochs, the first has \(epochs)")
            }
            guard c.errors.allSatisfy({ $0.isFinite && (0...100).contains($0) }) else {
                throw EvaluationError(.malformedTable, "\(source): curve \(i + 1) holds an error outside 0…100 %")
            }
            if let s = c.seconds, s.count != epochs || !s.allSatisfy({ $0.isFinite && $0 >= 0 }) {
                throw EvaluationError(.malformedTable, "\(source): curve \(i + 1) has bad seconds")
            }
        }
        guard Set(curves.map(\.architecture)).count == curves.count else {
            throw EvaluationError(.malformedTable, "\(source): a cell has two curves")
        }
        self.source = source
        self.curves = curves
        self.epochs = epochs
    }

    /// Loads the NB201 curves CSV at `path`.
    /// - Throws: `EvaluationError` naming the file and the line.
    public static func loadNB201(path: String, space: NB201SearchSpace = NB201SearchSpace()) throws -> LearningCurves {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvaluationError(.fileUnreadable, "cannot read learning curves '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw EvaluationError(.malformedTable, "\(path): not UTF-8 text") }
        return try parseNB201(text, source: path, space: space)
    }

    /// Parses the NB201 curves CSV: a header `arch_index,arch_str,val_acc_e1,…`, then one cell a line.
    public static func parseNB201(_ text: String, source: String, space: NB201SearchSpace = NB201SearchSpace()) throws -> LearningCurves {
        var lines = text.split(whereSeparator: \.isNewline).makeIterator()
        guard let header = lines.next()?.split(separator: ",").map(String.init), header.count >= 3,
              header[0] == "arch_index", header[1] == "arch_str",
              header[2...].enumerated().allSatisfy({ $0.element == "val_acc_e\($0.offset + 1)" }) else {
            throw EvaluationError(.malformedTable, "\(source):1: expected the header arch_index,arch_str,val_acc_e1,…")
        }
        let epochs = header.count - 2
        var curves = [Curve]()
        var number = 1
        while let line = lines.next() {
            number += 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == epochs + 2 else {
                throw EvaluationError(.malformedTable, "\(source):\(number): expected \(epochs + 2) fields, found \(fields.count)")
            }
            let architecture: Architecture
            do {
                architecture = try space.parse(String(fields[1]))
            } catch {
                throw EvaluationError(.malformedTable, "\(source):\(number): arch_str: \(error)")
            }
            var errors = [Double]()
            errors.reserveCapacity(epochs)
            for (e, field) in fields[2...].enumerated() {
                guard let accuracy = Double(field), accuracy.isFinite, (0...100).contains(accuracy) else {
                    throw EvaluationError(.malformedTable, "\(source):\(number): val_acc_e\(e + 1) '\(field)' is not an accuracy in 0…100")
                }
                errors.append(100 - accuracy)
            }
            curves.append(Curve(architecture: architecture, errors: errors))
        }
        do {
            return try LearningCurves(source: source, curves: curves)
        } catch let error as EvaluationError {
            throw EvaluationError(.malformedTable, error.message)
        }
    }
}
