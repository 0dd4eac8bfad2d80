import ANASOD
import Foundation

/// One line an external trainer prints on standard output (`cluster/TRAINER.md`): a JSON object with an
/// `event` of `progress` (after each epoch), `result` (once, at the end) or `failure` (the class and reason
/// of a failure the trainer is about to exit with). Empty lines are skipped;
/// anything else is a protocol violation that names the line.
public enum TrainerLine: Hashable, Sendable {
    case progress(EpochProgress)
    case result(Metrics)
    /// The trainer says why it is about to fail, and the class of the failure.
    case failure(FailureClass, reason: String)

    /// The fields a line may have; unknown fields are ignored (trainers may add their own).
    private struct Fields: Decodable {
        var event: String
        var epoch: Double?
        var trainLoss: Double?
        var validationError: Double?
        var testError: Double?
        var seconds: Double?
        var trainSeconds: Double?
        var parameters: Double?
        var flops: Double?
        var latencyMs: Double?
        var memoryMB: Double?
        var failureClass: String?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case event, epoch, trainLoss = "train_loss", validationError = "validation_error", testError = "test_error"
            case seconds, trainSeconds = "train_seconds", parameters, flops, failureClass = "class", reason
            case latencyMs = "latency_ms", memoryMB = "memory_mb"
        }
    }

    /// Parses one line; nil for a blank line.
    /// - Throws: `EvaluationError.trainerProtocol` naming what is wrong with the line.
    public static func parse(_ line: String) throws -> TrainerLine? {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        func fail(_ why: String) -> EvaluationError {
            EvaluationError(.trainerProtocol, "trainer printed \(why): '\(text.prefix(200))'")
        }
        guard text.hasPrefix("{") else { throw fail("a line that is not a JSON object (logs belong on standard error)") }
        let f: Fields
        do {
            f = try JSONDecoder().decode(Fields.self, from: Data(text.utf8))
        } catch DecodingError.keyNotFound(let key, _) {
            throw fail("a JSON line without '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context) {
            throw fail("a '\(context.codingPath.map(\.stringValue).joined(separator: "."))' of the wrong type")
        } catch {
            throw fail("a line that is not valid JSON")
        }
        func integer(_ value: Double?, _ key: String) throws -> Int? {
            guard let v = value else { return nil }
            guard v >= 0, v == v.rounded(), v < 9e18 else { throw fail("a '\(key)' that is not a non-negative integer") }
            return Int(v)
        }
        func percent(_ value: Double?, _ key: String) throws -> Double? {
            guard let v = value else { return nil }
            guard (0...100).contains(v) else { throw fail("a '\(key)' outside 0…100 (errors are percentages)") }
            return v
        }
        func measure(_ value: Double?, _ key: String) throws -> Double? {
            guard let v = value else { return nil }
            guard v >= 0, v.isFinite else { throw fail("a '\(key)' that is not a non-negative number") }
            return v
        }
        switch f.event {
        case "progress":
            guard let epoch = try integer(f.epoch, "epoch") else { throw fail("a 'progress' line without 'epoch'") }
            return .progress(EpochProgress(epoch: epoch, trainLoss: f.trainLoss,
                                                validationError: try percent(f.validationError, "validation_error"),
                                                seconds: f.seconds ?? 0))
        case "result":
            guard let error = try percent(f.validationError, "validation_error") else {
                throw fail("a 'result' line without 'validation_error'")
            }
            return .result(Metrics(validationError: error, testError: try percent(f.testError, "test_error"),
                                            trainSeconds: f.trainSeconds ?? 0, parameters: try integer(f.parameters, "parameters"),
                                            flops: try integer(f.flops, "flops"),
                                            latencyMs: try measure(f.latencyMs, "latency_ms"),
                                            memoryMB: try measure(f.memoryMB, "memory_mb")))
        case "failure":
            guard let name = f.failureClass, let failureClass = FailureClass(rawValue: name) else {
                throw fail("a 'failure' line without a 'class' of \(FailureClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .failure(failureClass, reason: String((f.reason ?? "no reason given").prefix(2000)))
        default:
            throw fail("an unknown event '\(f.event)' (known: progress, result, failure)")
        }
    }
}
