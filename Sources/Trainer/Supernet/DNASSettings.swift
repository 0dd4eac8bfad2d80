/// How a one-shot search runs: the method, the supernet's size and the bilevel schedule.
public struct DNASSettings: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        /// ANASOD-DNAS: one p~ for every edge, mirror descent, cells sampled from p~* at the end.
        case anasod
        /// DARTS: α per edge, Adam, the argmax of each edge at the end.
        case darts
        /// DARTS's search with ANASOD's ending: each edge's operation sampled from softmax(αₑ).
        case dartsSampled = "darts-sampled"
    }

    public var method = Method.anasod
    public var channels = 8
    public var cellsPerStage = 1
    public var epochs = 10
    public var batchSize = 64
    /// The weights' SGD (momentum 0.9, Nesterov, weight decay 3e-4 as DARTS), cosine over all steps.
    public var learningRate: Float = 0.025
    public var weightDecay: Float = 3e-4
    /// `anasod`: the mirror-descent step η of p ← p ⊙ exp(−η·∇p) / Z; DARTS: Adam's learning rate on α.
    public var architectureLearningRate: Double = 0.05
    /// Training images used; one half trains the weights, the other the architecture (seeded split).
    public var trainingImages = 10_000
    public var seed: UInt64 = 0

    public init() {}

    /// The architecture learning rate a method uses when the study sets none.
    public static func defaultArchitectureLearningRate(_ method: Method) -> Double { method == .anasod ? 0.05 : 3e-4 }

    public func validate() throws {
        func fail(_ m: String) -> TrainerError { TrainerError(.invalidSettings, m) }
        guard (1...512).contains(channels) else { throw fail("channels must be in 1…512, got \(channels)") }
        guard (1...32).contains(cellsPerStage) else { throw fail("cells must be in 1…32, got \(cellsPerStage)") }
        guard (1...100_000).contains(epochs) else { throw fail("epochs must be in 1…100000, got \(epochs)") }
        guard (2...65_536).contains(batchSize) else { throw fail("batch_size must be in 2…65536 (batch norm), got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning_rate must be positive") }
        guard architectureLearningRate > 0, architectureLearningRate.isFinite, architectureLearningRate <= 100 else {
            throw fail("arch_learning_rate must be a positive number")
        }
        guard trainingImages >= 4 * batchSize else {
            throw fail("train_limit \(trainingImages) leaves less than two batches for each half (batch_size \(batchSize))")
        }
    }
}
