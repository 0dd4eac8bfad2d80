import ANASOD

/// Evaluates NB201 cells by looking them up in an `NB201Table`. The table holds one (test) accuracy per
/// cell, so the objective and the reported test error are the same number, 100 − accuracy.
public struct TableEvaluator: Evaluator {
    public let table: NB201Table
    public var kind: EvaluationSettings.Kind { .table }

    public init(table: NB201Table) {
        self.table = table
    }

    public func evaluate(_ architecture: Architecture, seed: UInt64,
                         progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        do {
            try NB201Table.space.validate(architecture)
        } catch let error as ANASODError {
            throw EvaluationError(.unsupportedArchitecture, "the NB201 table cannot evaluate this architecture: \(error.message)",
                                  class: .architecture)
        }
        let error = table.error(of: architecture)
        return Metrics(validationError: error, testError: error)
    }
}
