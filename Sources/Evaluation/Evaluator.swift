import ANASOD

/// What an evaluation measured. Errors are in percent (100 − accuracy).
public struct EvaluationResult: Hashable, Sendable, Codable {
    /// The search objective: validation error in percent.
    public var validationError: Double
    /// Test error in percent, when known.
    public var testError: Double?
    /// Wall-clock seconds spent training (0 for a table look-up).
    public var trainSeconds: Double
    /// Trainable parameters, when known.
    public var parameters: Int?
    /// Floating-point operations of one forward pass, when known.
    public var flops: Int?

    public init(validationError: Double, testError: Double? = nil, trainSeconds: Double = 0,
                parameters: Int? = nil, flops: Int? = nil) {
        self.validationError = validationError
        self.testError = testError
        self.trainSeconds = trainSeconds
        self.parameters = parameters
        self.flops = flops
    }
}

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
    /// A short name announced by workers (`table`, `trainer`, `external`, `synthetic`).
    var kind: String { get }

    /// Evaluates `architecture`, calling `progress` zero or more times before returning.
    /// - Parameter seed: the training seed of this evaluation (ignored by look-ups).
    /// - Throws: `EvaluationError` (or the evaluator's own error) when the evaluation fails.
    func evaluate(_ architecture: Architecture, seed: UInt64,
                  progress: @Sendable (EvaluationProgress) -> Void) async throws -> EvaluationResult
}
