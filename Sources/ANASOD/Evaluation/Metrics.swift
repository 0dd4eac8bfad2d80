/// What one evaluation measured: the one metrics type that evaluators return, the wire carries (`result`)
/// and the journal stores. Errors are in percent (100 − accuracy).
public struct Metrics: Hashable, Sendable, Codable {
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
    /// Set when the coordinator's early stopping stopped the training after this many epochs (issue 28):
    /// `validationError` and `trainSeconds` are then the last epoch's report. Never taken from a peer: only the
    /// coordinator's own rung decision sets it.
    public var stoppedAtEpoch: Int?

    public init(validationError: Double, testError: Double? = nil, trainSeconds: Double = 0,
                parameters: Int? = nil, flops: Int? = nil, stoppedAtEpoch: Int? = nil) {
        self.validationError = validationError
        self.testError = testError
        self.trainSeconds = trainSeconds
        self.parameters = parameters
        self.flops = flops
        self.stoppedAtEpoch = stoppedAtEpoch
    }

    /// What is out of range (errors outside 0…100 %, negative or non-finite seconds), or nil when every
    /// value is plausible. Checked where metrics arrive from a peer or a trainer process.
    public var problem: String? {
        func percent(_ value: Double?) -> Bool { value.map { $0.isFinite && (0...100).contains($0) } ?? true }
        guard percent(validationError), percent(testError), trainSeconds.isFinite, trainSeconds >= 0 else {
            return "val_error \(validationError), test_error \(testError.map { "\($0)" } ?? "—"), seconds \(trainSeconds) "
                + "(errors must be in 0…100 %, seconds ≥ 0)"
        }
        return nil
    }
}
