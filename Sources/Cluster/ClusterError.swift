/// The one public error type of the `Cluster` module.
public struct ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A configuration file or value that cannot be used; the message names the key.
        case invalidConfiguration
        /// A resume that does not match the journal.
        case resume
        /// Workers could not be started or the run could not finish.
        case run
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
