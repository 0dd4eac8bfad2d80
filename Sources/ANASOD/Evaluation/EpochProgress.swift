/// One epoch of a running evaluation: the one progress type that trainers stream, evaluators pass on, the
/// wire carries (`progress`, with its job), the journal stores and reports draw. Errors are in percent.
public struct EpochProgress: Hashable, Sendable, Codable {
    public var epoch: Int
    public var trainLoss: Double?
    public var validationError: Double?
    /// Seconds since the evaluation started.
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double? = nil, validationError: Double? = nil, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationError = validationError
        self.seconds = seconds
    }
}
