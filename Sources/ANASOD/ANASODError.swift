/// The one public error type of the `ANASOD` core: bad input from users, files or the network.
///
/// Programmer errors (a broken simplex invariant inside the library) are `precondition`s instead.
public struct ANASODError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of input was wrong.
    public enum Code: String, Sendable {
        /// A distribution that is not a point of the simplex (NaN, negative, wrong sum, wrong length).
        case invalidDistribution
        /// Counts that do not fit the search space (wrong length, negative, wrong total).
        case invalidCounts
        /// An architecture string that cannot be parsed.
        case malformedArchitecture
        /// An architecture that does not belong to the search space.
        case invalidArchitecture
        /// A search-space definition that cannot be used (no operations, duplicate names, …).
        case invalidSearchSpace
        /// A search-space name that is none of `SpaceName`'s.
        case unknownSearchSpace
        /// Evaluation settings that cannot work (a value out of range, a key the evaluator does not read,
        /// an evaluator that cannot build the space).
        case invalidSettings
    }

    public let code: Code
    /// A message a user can act on: what was wrong and where.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
