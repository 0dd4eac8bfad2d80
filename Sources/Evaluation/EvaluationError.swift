/// The one public error type of the `Evaluation` module: unusable benchmark files, failed evaluations.
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
    }

    public let code: Code
    /// What was wrong and where (file and line for tables).
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
