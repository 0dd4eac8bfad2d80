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
    /// Milliseconds one image's forward pass took on the worker that trained the cell, when its trainer measured
    /// it (issue 30: a limit on it is known only after evaluation).
    public var latencyMs: Double?
    /// Peak memory of the training in MB (the accelerator's where it ran on one), when its trainer measured it.
    public var memoryMB: Double?

    public init(validationError: Double, testError: Double? = nil, trainSeconds: Double = 0,
                parameters: Int? = nil, flops: Int? = nil, stoppedAtEpoch: Int? = nil,
                latencyMs: Double? = nil, memoryMB: Double? = nil) {
        self.validationError = validationError
        self.testError = testError
        self.trainSeconds = trainSeconds
        self.parameters = parameters
        self.flops = flops
        self.stoppedAtEpoch = stoppedAtEpoch
        self.latencyMs = latencyMs
        self.memoryMB = memoryMB
    }

    /// The names of the measures an evaluation may report beside the error, as study files and trainers spell them.
    public static let measuredNames = ["latency_ms", "memory_mb"]

    /// The measures this evaluation reported, by name (`latency_ms`, `memory_mb`): what a constraint known only
    /// after evaluation is checked against.
    public var measured: [String: Double] {
        var out = [String: Double]()
        if let v = latencyMs { out["latency_ms"] = v }
        if let v = memoryMB { out["memory_mb"] = v }
        return out
    }

    /// What is out of range (errors outside 0…100 %, negative or non-finite seconds), or nil when every
    /// value is plausible. Checked where metrics arrive from a peer or a trainer process.
    public var problem: String? {
        func percent(_ value: Double?) -> Bool { value.map { $0.isFinite && (0...100).contains($0) } ?? true }
        guard percent(validationError), percent(testError), trainSeconds.isFinite, trainSeconds >= 0 else {
            return "val_error \(validationError), test_error \(testError.map { "\($0)" } ?? "—"), seconds \(trainSeconds) "
                + "(errors must be in 0…100 %, seconds ≥ 0)"
        }
        for (name, value) in measured.sorted(by: { $0.key < $1.key }) where !(value.isFinite && value >= 0) {
            return "\(name) \(value) (must be a finite number ≥ 0)"
        }
        return nil
    }
}
