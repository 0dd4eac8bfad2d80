import ANASOD
import Foundation

/// A deterministic stand-in for training, for load tests and tests of the cluster: the error of a cell is
/// a fixed function of its ops (a per-slot weight table drawn from `tableSeed`, scaled to 5…95 %), each
/// evaluation takes `seconds` (cancellable), and a share `failRate` of attempts fail with a retryable
/// error, chosen by the job's seed so a retry can succeed. With `epochs` > 1 it reports a deterministic
/// learning curve, one epoch every `seconds / epochs` (`curve(of:epoch:)`), for early stopping's tests.
public struct SyntheticEvaluator: Evaluator {
    public var kind: EvaluationSettings.Kind { .synthetic }
    public let space: any SearchSpace
    public let seconds: Double
    public let failRate: Double
    public let epochs: Int
    let weights: [[Double]]

    public init(space: any SearchSpace, seconds: Double = 0, failRate: Double = 0, epochs: Int = 1, tableSeed: UInt64 = 2021) {
        self.space = space
        self.seconds = seconds
        self.failRate = failRate
        self.epochs = max(1, epochs)
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

    /// The validation error after `epoch` of `epochs` epochs: from 90 % (or the cell's error, when higher) down to
    /// `error(of:)` at the last epoch, a quadratic in the epochs left; cells keep their order at every epoch.
    public func curve(of architecture: Architecture, epoch: Int) -> Double {
        let final = error(of: architecture)
        let left = Double(epochs - min(max(epoch, 0), epochs)) / Double(epochs)
        return final + (max(90, final) - final) * left * left
    }

    public func evaluate(_ architecture: Architecture, seed: UInt64,
                         progress: @Sendable (EpochProgress) -> Void) async throws -> Metrics {
        // Bounded: a huge or non-finite `seconds` must not trap the conversion (workers refuse such jobs).
        let total = min(seconds, EvaluationSettings.longestSeconds)
        var rng = SeededGenerator(seed: seed, stream: 0xFA11)
        for epoch in 1...epochs {
            if total > 0 { try await Task.sleep(nanoseconds: UInt64(total / Double(epochs) * 1e9)) }
            try Task.checkCancellation()
            if epoch == epochs && failRate > 0 && rng.nextUniform() < failRate {
                throw EvaluationError(.evaluationFailed, "synthetic failure (fail_rate \(failRate))")
            }
            progress(EpochProgress(epoch: epoch, trainLoss: nil, validationError: curve(of: architecture, epoch: epoch),
                                   seconds: total * Double(epoch) / Double(epochs)))
        }
        let error = self.error(of: architecture)
        return Metrics(validationError: error, testError: error, trainSeconds: seconds)
    }
}
