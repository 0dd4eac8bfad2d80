/// The one public error type of the `Trainer` module: unreadable or corrupt data files, settings that cannot
/// work, a search that diverged.
public struct TrainerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case fileUnreadable
        case corruptData
        case invalidSettings
        /// Training left values that are not finite (a learning rate too high for the data).
        case diverged
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
