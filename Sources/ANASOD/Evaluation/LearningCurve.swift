/// One cell's learning curve (issue 28): its validation error after each epoch, and the seconds it took, where
/// known. What an NB201 curves file or a study's journal holds (`LearningCurves`), and what the early-stopping
/// replay consumes (`CurvesBenchmark`).
public struct LearningCurve: Sendable, Hashable {
    public var architecture: Architecture
    /// Validation error in percent after epoch 1, 2, … (index e − 1).
    public var errors: [Double]
    /// Seconds after each epoch, cumulative, when known (a journal's); nil: one unit an epoch.
    public var seconds: [Double]?

    public init(architecture: Architecture, errors: [Double], seconds: [Double]? = nil) {
        self.architecture = architecture
        self.errors = errors
        self.seconds = seconds
    }

    public var final: Double { errors.last! }
    /// The seconds after `epoch` epochs (1-based): the journal's, else `epoch`.
    public func seconds(after epoch: Int) -> Double { seconds.map { $0[epoch - 1] } ?? Double(epoch) }
}
