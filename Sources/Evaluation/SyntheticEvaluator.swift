import ANASOD
import Foundation

/// A deterministic stand-in for training, for load tests and tests of the cluster: the error of a cell is
/// a fixed function of its ops (a per-slot weight table drawn from `tableSeed`, scaled to 5…95 %), each
/// evaluation takes `seconds` (cancellable), and a share `failRate` of attempts fail with a retryable
/// error, chosen by the job's seed so a retry can succeed.
public struct SyntheticEvaluator: Evaluator {
    public var kind: EvaluationSettings.Kind { .synthetic }
    public let space: any SearchSpace
    public let seconds: Double
    public let failRate: Double
    let weights: [[Double]]

    public init(space: any SearchSpace, seconds: Double = 0, failRate: Double = 0, tableSeed: UInt64 = 2021) {
        self.space = space
        self.seconds = seconds
        self.failRate = failRate
        var rng = SeededGenerator(seed: tableSeed)
        weights = (0..<(space.slotsPerCell * space.cellTypes.count)).map { _ in
            (0..<space.operationCount).map { _ in rng.nextUniform() }
        }
    }

    /// The error of a cell, in percent.
    public func error(of architecture: Architecture) -> Double {
        var total = 0.0
        var slot = 0
        for cell in architecture.cells {
            for op in cell.operations {
                total += weights[slot][op]
                slot += 1
            }
        }
        return 5 + 90 * total / Double(max(1, slot))
    }

    public func evaluate(_ architecture: Architecture, seed: UInt64,
                         progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        // Bounded: a huge or non-finite `seconds` must not trap the conversion (workers refuse such jobs).
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(min(seconds, EvaluationSettings.longestSeconds) * 1e9)) }
        var rng = SeededGenerator(seed: seed, stream: 0xFA11)
        if failRate > 0 && rng.nextUniform() < failRate {
            throw EvaluationError(.evaluationFailed, "synthetic failure (fail_rate \(failRate))")
        }
        let error = self.error(of: architecture)
        progress(EpochProgress(epoch: 1, trainLoss: nil, validationError: error, seconds: seconds))
        return Metrics(validationError: error, testError: error, trainSeconds: seconds)
    }
}
