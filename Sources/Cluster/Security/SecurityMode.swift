/// A study's `cluster.security`: how the coordinator's socket is protected. Raw values are the names as
/// written in study files and flags.
public enum SecurityMode: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// CurveZMQ, only workers whose keys are admitted (the default).
    case curve
    /// Plain, unauthenticated sockets, accepted only on loopback and `ipc://` endpoints.
    case none

    public var description: String { rawValue }

    /// The known names, for messages (`'curve' or 'none'`).
    public static var known: String { allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ") }
}
