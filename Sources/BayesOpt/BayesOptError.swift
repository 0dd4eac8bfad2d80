/// The one public error type of the `BayesOpt` module.
public struct BayesOptError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A kernel matrix stayed indefinite after the largest jitter.
        case notPositiveDefinite
        /// Training data with a NaN/infinite target, mismatched shapes or no points.
        case invalidData
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
