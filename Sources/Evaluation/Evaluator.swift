import ANASOD

/// Partial metrics streamed while an evaluation runs (one per training epoch).
public struct EvaluationProgress: Hashable, Sendable, Codable {
    public var epoch: Int
    public var trainLoss: Double?
    public var validationError: Double?
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double? = nil, validationError: Double? = nil, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationError = validationError
        self.seconds = seconds
    }
}

/// Evaluates one architecture: a benchmark-table look-up, the in-process trainer, or an external trainer
/// process. Implementations are `Sendable` and may be called concurrently (one call per worker slot).
public protocol Evaluator: Sendable {
    /// Which evaluator it is (`table`, `trainer`, `external`, `synthetic`): what a study's `evaluator.kind` names.
    var kind: EvaluationSettings.Kind { get }

    /// Evaluates `architecture`, calling `progress` zero or more times before returning.
    /// - Parameter seed: the training seed of this evaluation (ignored by look-ups).
    /// - Throws: `EvaluationError` (or the evaluator's own error) when the evaluation fails.
    func evaluate(_ architecture: Architecture, seed: UInt64,
                  progress: @Sendable (EvaluationProgress) -> Void) async throws -> Metrics
}
