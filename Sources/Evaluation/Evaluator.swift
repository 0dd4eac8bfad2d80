import ANASOD

/// Evaluates one architecture: a benchmark-table look-up, the in-process trainer, or an external trainer
/// process. Implementations are `Sendable` and may be called concurrently (one call per worker slot).
public protocol Evaluator: Sendable {
    /// Which evaluator it is (`table`, `trainer`, `external`, `synthetic`): what a study's `evaluator.kind` names.
    var kind: EvaluationSettings.Kind { get }

    /// Evaluates `architecture`, calling `progress` zero or more times before returning.
    /// - Parameter seed: the training seed of this evaluation (ignored by look-ups).
    /// - Throws: `EvaluationError` (or the evaluator's own error) when the evaluation fails.
    func evaluate(_ architecture: Architecture, seed: UInt64,
                  progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics
}
