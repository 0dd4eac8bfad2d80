/// The one public error type of the `Cluster` module.
public struct ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A configuration file or value that cannot be used; the message names the key.
        case invalidConfiguration
        /// A resume that does not match the journal.
        case resume
        /// Workers could not be started or the run could not finish.
        case run
        /// The study stopped for good (its evaluations kept failing): running it again would not help until
        /// the cause is fixed (`anasod` exits with status 3, which service managers should not restart).
        case stopped
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
