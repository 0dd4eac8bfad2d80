import ANASOD

/// The one public error type of the `Evaluation` module: unusable benchmark files, failed evaluations.
/// Each carries the `FailureClass` that decides what the coordinator does with the job.
public struct EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A file could not be found or read.
        case fileUnreadable
        /// A benchmark table with a malformed, duplicate or missing row.
        case malformedTable
        /// An architecture the evaluator cannot evaluate (wrong search space, not in the table).
        case unsupportedArchitecture
        /// An evaluation that failed and may succeed when retried.
        case evaluationFailed
        /// An external trainer that broke its protocol (printed garbage, no result): retrying won't help.
        case trainerProtocol
        /// A job whose settings a worker will not act on: a value out of range, a path where a data-set name
        /// belongs (`EvaluationSettings.checkedOnWorker`).
        case invalidSettings
    }

    public let code: Code
    /// What was wrong and where (file and line for tables).
    public let message: String
    /// What the failure means for the job and the study.
    public let failureClass: FailureClass

    /// - Parameter failureClass: nil: the code's usual class (unreadable files and tables: `data`; an
    ///   architecture the evaluator cannot take, a broken trainer protocol and settings out of range:
    ///   `configuration`; other failures: `transient`).
    public init(_ code: Code, _ message: String, class failureClass: FailureClass? = nil) {
        self.code = code
        self.message = message
        self.failureClass = failureClass ?? {
            switch code {
            case .fileUnreadable, .malformedTable: .data
            case .unsupportedArchitecture, .trainerProtocol, .invalidSettings: .configuration
            case .evaluationFailed: .transient
            }
        }()
    }

    public var description: String { message }
}
